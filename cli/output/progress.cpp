#include "cli/output/progress.hpp"

#include <algorithm>

#include "cli/output/views.hpp"

namespace actorswarm::cli::output {

namespace {

// Docker's numberedStates (it has no `allocated`; ours starts at pending).
int step_of(pb::TaskState s) {
  switch (s) {
    case pb::NEW:
      return 1;
    case pb::PENDING:
      return 3;
    case pb::ASSIGNED:
      return 4;
    case pb::ACCEPTED:
      return 5;
    case pb::PREPARING:
      return 6;
    case pb::READY:
      return 7;
    case pb::STARTING:
      return 8;
    case pb::RUNNING:
      return 9;
    default:
      return 0;
  }
}

std::string lower(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

bool is_failed(pb::TaskState s) {
  return s == pb::FAILED || s == pb::REJECTED;
}

// The key of a task's line: its slot, or its node for global services.
std::string key_of(const pb::Task& t, bool global) {
  if (global)
    return t.node_id();
  auto slot = std::to_string(t.slot());
  return std::string(20 - std::min<size_t>(20, slot.size()), '0') + slot;
}

// Running, and healthy when it has a health check (docker's running).
bool is_up(const pb::Task& t) {
  auto h = t.status().health();
  return t.status().state() == pb::RUNNING
         && (h == pb::TaskStatus::NONE || h == pb::TaskStatus::HEALTHY);
}

void fill_line(const pb::Task& t, progress_line& line) {
  auto state = t.status().state();
  line.state = lower(pb::TaskState_Name(state));
  line.step = step_of(state);
  if (state == pb::RUNNING && !is_up(t)) {
    // Its health check has not passed (yet): docker's task is starting.
    line.state = "starting";
    line.step = step_of(pb::STARTING);
  }
  line.message = state < pb::RUNNING ? t.status().err() : "";
}

} // namespace

std::string progress_bar(int step) {
  int percent = step * 100 / progress_steps / 2;
  percent = std::clamp(percent, 0, 50);
  return "[" + std::string(static_cast<size_t>(percent), '=') + ">"
         + std::string(static_cast<size_t>(50 - percent), ' ') + "]";
}

std::string render_line(const progress_line& l, bool bar) {
  if (!l.message.empty())
    return l.label + ": " + l.message;
  if (!bar || l.state.empty())
    return l.label + ": " + (l.state.empty() ? "new" : l.state);
  auto state = l.state;
  state.resize(std::max<size_t>(state.size(), 9), ' '); // "preparing"
  return l.label + ": " + state + " " + progress_bar(l.step);
}

convergence_tracker::convergence_tracker(bool global, uint64_t replicas,
                                         int64_t pending_err_ns,
                                         uint32_t failures_max)
  : global_(global),
    replicas_(replicas),
    pending_err_ns_(pending_err_ns),
    failures_max_(failures_max) {
  // nop
}

void convergence_tracker::observe(const std::vector<pb::Task>& tasks,
                                  int64_t now_ns, const task_filter& current) {
  if (first_) {
    first_ = false;
    start_ns_ = now_ns;
    for (const auto& t : tasks)
      if (is_failed(t.status().state()))
        old_failed_.insert(t.id());
  }
  // The newest task that should be running, per slot (or node); null for a
  // node whose tasks all run an older spec.
  std::map<std::string, const pb::Task*> newest;
  for (const auto& t : tasks) {
    if (t.desired_state() > pb::RUNNING)
      continue;
    if (!global_ && (t.slot() == 0 || t.slot() > replicas_))
      continue;
    auto& cur = newest[key_of(t, global_)];
    if (current && !current(t))
      continue;
    if (cur == nullptr
        || t.meta().created_at_ns() > cur->meta().created_at_ns())
      cur = &t;
  }
  lines_.clear();
  running_ = 0;
  auto total = global_ ? newest.size() : replicas_;
  for (uint64_t i = 0; !global_ && i < replicas_; ++i)
    lines_.push_back({std::to_string(i + 1) + "/" + std::to_string(total), "",
                      0, ""});
  for (const auto& [key, t] : newest) {
    if (!global_ && t == nullptr)
      continue;
    auto& line = global_ ? lines_.emplace_back() : lines_[t->slot() - 1];
    line.label = global_ ? short_id(key) : line.label;
    if (t == nullptr)
      continue;
    fill_line(*t, line);
    running_ += is_up(*t) ? 1 : 0;
  }
  converged_ = running_ == lines_.size()
               && (!lines_.empty()
                   || (global_ && now_ns - start_ns_ >= pending_err_ns_)
                   || (!global_ && replicas_ == 0));
  check_failures(tasks, now_ns, current);
}

void convergence_tracker::check_failures(const std::vector<pb::Task>& tasks,
                                         int64_t now_ns,
                                         const task_filter& current) {
  if (converged_)
    return;
  std::map<std::string, uint32_t> failed_per_key;
  std::map<std::string, const pb::Task*> last_failed;
  for (const auto& t : tasks) {
    if (current && !current(t))
      continue;
    auto key = key_of(t, global_);
    if (is_failed(t.status().state()) && old_failed_.count(t.id()) == 0) {
      ++failed_per_key[key];
      auto& lf = last_failed[key];
      if (lf == nullptr
          || t.meta().created_at_ns() > lf->meta().created_at_ns())
        lf = &t;
    }
    // Stuck: pending with a reason, or ended while still desired running
    // (the restart policy will not replace it: condition none, or out of
    // attempts). Either way nothing changes without the user.
    bool pending_err = t.status().state() <= pb::PENDING
                       && !t.status().err().empty();
    bool ended = t.status().state() > pb::RUNNING
                 && t.status().state() != pb::COMPLETE;
    bool stuck = (pending_err || ended) && t.desired_state() <= pb::RUNNING;
    if (!stuck) {
      pending_err_since_.erase(t.id());
      continue;
    }
    auto since = pending_err_since_.emplace(t.id(), now_ns).first->second;
    // An ended task may still be replaced once its restart delay passed.
    auto wait_ns = pending_err_ns_
                   + (ended ? t.spec().restart().delay_ns() : int64_t{0});
    if (now_ns - since >= wait_ns && failure_.empty())
      failure_ = t.status().err().empty()
                   ? "task " + lower(pb::TaskState_Name(t.status().state()))
                   : t.status().err();
  }
  for (const auto& [key, n] : failed_per_key) {
    if (n < failures_max_ || !failure_.empty())
      continue;
    const auto& st = last_failed[key]->status();
    failure_ = "task failed " + std::to_string(n)
               + " times: " + (st.err().empty() ? st.message() : st.err());
  }
}

std::string progress_printer::frame(const convergence_tracker& t) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("overall",
                    "overall progress: " + std::to_string(t.running())
                      + " out of " + std::to_string(t.total()) + " tasks");
  for (const auto& l : t.lines())
    rows.emplace_back(l.label, render_line(l, tty_));
  return frame(rows);
}

std::string progress_printer::frame(
  const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out;
  if (tty_) {
    if (drawn_lines_ > 0)
      out += "\x1b[" + std::to_string(drawn_lines_) + "A";
    for (const auto& [key, line] : rows)
      out += "\x1b[2K" + line + "\n";
    drawn_lines_ = rows.size();
    return out;
  }
  for (const auto& [key, line] : rows) {
    auto& last = last_[key];
    if (last != line)
      out += line + "\n";
    last = line;
  }
  return out;
}

} // namespace actorswarm::cli::output
