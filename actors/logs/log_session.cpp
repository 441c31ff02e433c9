#include "actors/logs/log_session.hpp"

#include "actors/control/task_rules.hpp"

#include <algorithm>

namespace actorswarm::logs {

namespace {

bool terminal(const pb::Task& t) {
  return t.status().state() > pb::RUNNING;
}

} // namespace

std::string node_unavailable(const std::string& node) {
  return "node " + node + " is not available";
}

std::string not_scheduled(const std::string& task_id) {
  return "task " + task_id + " has not been scheduled";
}

std::string incomplete_stream(const std::vector<std::string>& reasons) {
  std::string out = "warning: incomplete log stream. some logs could not be "
                    "retrieved for the following reasons: ";
  for (size_t i = 0; i < reasons.size(); ++i)
    out += (i > 0 ? ", " : "") + reasons[i];
  return out;
}

log_session::log_session(const pb::LogsRequest& req, session_config cfg)
  : req_(req), cfg_(cfg) {
  // nop
}

void log_session::add_task(const pb::Task& t, const pb::ControlReply& r,
                           bool initial) {
  auto& c = tasks_[t.id()];
  c.meta.set_task_id(t.id());
  c.meta.set_task_name(control::task_name(t));
  c.node_id = t.node_id();
  auto n = r.node_names().find(t.node_id());
  c.meta.set_node_name(n == r.node_names().end() ? t.node_id() : n->second);
  // A task that joins while following is read from its first line.
  if (!initial) {
    c.started = true;
    c.offset = 0;
  }
}

void log_session::set_tasks(const pb::ControlReply& resolved) {
  for (auto& n : resolved.nodes())
    if (!n.status().addr().empty())
      addrs_[n.id()] = n.status().addr();
  bool initial = !resolved_;
  resolved_ = true;
  for (auto& t : resolved.tasks()) {
    auto i = tasks_.find(t.id());
    if (i == tasks_.end() && t.node_id().empty()) {
      // Following: it joins once it has a node. Else docker warns.
      if (!req_.follow() && warned_.insert(t.id()).second)
        pending_warnings_.push_back(not_scheduled(t.id()));
      continue;
    }
    if (i == tasks_.end()) {
      // A task already over before a follow started adds nothing new.
      if (!initial && terminal(t) && req_.follow())
        continue;
      add_task(t, resolved, initial);
      i = tasks_.find(t.id());
    }
    if (req_.follow() && terminal(t) && !i->second.terminal)
      i->second.terminal = true;
  }
}

bool log_session::wanted(const task_cursor& t) const {
  if (t.finished || !t.buf.empty())
    return false;
  auto f = failed_.find(t.node_id);
  if (f != failed_.end()) {
    // Not following: a failed node is given up. Following: asked again
    // every retry_rounds rounds.
    if (!req_.follow() || round_ - f->second < cfg_.retry_rounds)
      return false;
  }
  // Not following: read until the node says nothing more is there.
  return req_.follow() || !t.read || t.more;
}

pb::LogsFetch log_session::next_fetch() {
  ++round_;
  pb::LogsFetch out;
  std::map<std::string, pb::NodeLogsFetch*> by_node;
  for (auto& [id, t] : tasks_) {
    if (!wanted(t))
      continue;
    auto& f = by_node[t.node_id];
    if (f == nullptr) {
      f = out.add_nodes();
      f->set_node_id(t.node_id);
      if (auto a = addrs_.find(t.node_id); a != addrs_.end())
        f->set_addr(a->second);
      auto& r = *f->mutable_request();
      r.set_tail(req_.tail());
      r.set_since_ns(req_.since_ns());
      r.set_lines_max(cfg_.lines_max);
      r.set_bytes_max(cfg_.bytes_max);
      r.set_partial(!req_.follow());
    }
    auto& cur = *f->mutable_request()->add_tasks();
    cur.set_task_id(id);
    cur.set_started(t.started);
    cur.set_offset(t.offset);
    cur.set_until(t.until);
    if (t.terminal)
      t.final_read = true;
  }
  return out;
}

void log_session::absorb_node(const pb::NodeLogsResult& res,
                              std::vector<std::string>& warnings) {
  if (!res.ok()) {
    failed_[res.node_id()] = round_;
    if (warned_.insert(res.node_id()).second)
      warnings.push_back(node_unavailable(res.node_id()));
    return;
  }
  failed_.erase(res.node_id());
  for (auto& b : res.reply().tasks()) {
    auto i = tasks_.find(b.task_id());
    if (i == tasks_.end() || i->second.node_id != res.node_id())
      continue; // a node answers for its own tasks only
    auto& t = i->second;
    // Not following: the read ends at the output's end when it began, or,
    // with a tail the node's first read gave whole, right there.
    if (!req_.follow() && !t.started && t.until == 0)
      t.until = req_.tail() > 0 && !b.more() ? b.next_offset() : b.end_offset();
    t.read = true;
    t.started = true;
    t.offset = b.next_offset();
    t.more = b.more();
    for (auto& l : b.lines())
      t.buf.push_back(l);
    // Not following: read to the end (a task without output here has
    // nothing to give). Following: a terminal task's last read is done.
    bool over = req_.follow() ? t.final_read && !b.more()
                              : b.missing() || !b.more()
                                  || (t.until > 0 && t.offset >= t.until);
    if (over)
      t.finished = true;
  }
}

std::vector<std::string> log_session::absorb(const pb::LogsFetchReply& reply) {
  std::vector<std::string> warnings = std::move(pending_warnings_);
  pending_warnings_.clear();
  for (auto& res : reply.nodes())
    absorb_node(res, warnings);
  return warnings;
}

bool log_session::blocks(const task_cursor& t) const {
  // An empty task blocks the merge while it may hold an older line now.
  return t.buf.empty() && !t.finished && t.more
         && failed_.count(t.node_id) == 0;
}

std::vector<pb::LogLine> log_session::take(size_t max) {
  std::vector<pb::LogLine> out;
  while (out.size() < max) {
    task_cursor* best = nullptr;
    for (auto& [id, t] : tasks_) {
      if (blocks(t))
        return out;
      if (!t.buf.empty()
          && (best == nullptr
              || t.buf.front().timestamp_ns()
                   < best->buf.front().timestamp_ns()))
        best = &t;
    }
    if (best == nullptr)
      break;
    auto l = best->meta;
    l.set_timestamp_ns(best->buf.front().timestamp_ns());
    l.set_text(std::move(*best->buf.front().mutable_text()));
    best->buf.pop_front();
    out.push_back(std::move(l));
  }
  return out;
}

bool log_session::busy() const {
  return std::any_of(tasks_.begin(), tasks_.end(), [this](const auto& x) {
    return !x.second.finished && x.second.more
           && failed_.count(x.second.node_id) == 0;
  });
}

bool log_session::done() const {
  if (req_.follow())
    return false;
  return std::all_of(tasks_.begin(), tasks_.end(), [this](const auto& x) {
    auto& t = x.second;
    return t.buf.empty() && (t.finished || failed_.count(t.node_id) > 0);
  });
}

} // namespace actorswarm::logs
