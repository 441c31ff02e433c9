#include "actors/orchestrator/dirty_set.hpp"

namespace actorswarm::orchestrator {

void dirty_set::observe(const pb::StoreAction& x) {
  switch (x.target_case()) {
    case pb::StoreAction::kService:
      observe_service(x.kind(), x.service());
      break;
    case pb::StoreAction::kTask:
      observe_task(x.kind(), x.task());
      break;
    case pb::StoreAction::kNode:
      observe_node(x.node().id());
      break;
    case pb::StoreAction::kCluster:
      // task_history_limit may have changed: every service's history.
      mark_all();
      break;
    default:
      break;
  }
}

void dirty_set::mark(const std::string& service_id) {
  dirty_.insert(service_id);
}

void dirty_set::mark_all() {
  for (const auto& [id, global] : global_)
    dirty_.insert(id);
}

std::vector<std::string> dirty_set::take() {
  std::vector<std::string> xs(dirty_.begin(), dirty_.end());
  dirty_.clear();
  return xs;
}

void dirty_set::schedule(const std::string& service_id, int64_t at_ns) {
  auto [i, added] = timers_.emplace(service_id, at_ns);
  if (!added && at_ns < i->second)
    i->second = at_ns;
}

std::optional<int64_t> dirty_set::next_timer_ns() const {
  std::optional<int64_t> r;
  for (const auto& [id, at_ns] : timers_)
    if (!r || at_ns < *r)
      r = at_ns;
  return r;
}

size_t dirty_set::fire_due(int64_t now_ns) {
  size_t n = 0;
  for (auto i = timers_.begin(); i != timers_.end();) {
    if (i->second <= now_ns) {
      dirty_.insert(i->first);
      i = timers_.erase(i);
      ++n;
    } else {
      ++i;
    }
  }
  return n;
}

void dirty_set::observe_service(pb::StoreAction::Kind kind,
                                const pb::Service& x) {
  dirty_.insert(x.id());
  if (kind == pb::StoreAction::REMOVE) {
    global_.erase(x.id());
    timers_.erase(x.id());
  } else {
    global_[x.id()] = x.spec().mode() == pb::ServiceSpec::GLOBAL;
  }
}

void dirty_set::observe_task(pb::StoreAction::Kind kind, const pb::Task& x) {
  dirty_.insert(x.service_id());
  unlink_task(x.id());
  if (kind == pb::StoreAction::REMOVE)
    return;
  tasks_[x.id()] = task_entry{x.service_id(), x.node_id()};
  if (!x.node_id().empty())
    ++by_node_[x.node_id()][x.service_id()];
}

void dirty_set::observe_node(const std::string& node_id) {
  // Global services place per node; replicated ones move tasks off nodes
  // that were drained, went down or were removed.
  for (const auto& [id, global] : global_)
    if (global)
      dirty_.insert(id);
  if (auto i = by_node_.find(node_id); i != by_node_.end())
    for (const auto& [service_id, n] : i->second)
      dirty_.insert(service_id);
}

void dirty_set::unlink_task(const std::string& task_id) {
  auto i = tasks_.find(task_id);
  if (i == tasks_.end())
    return;
  const auto& e = i->second;
  if (!e.node_id.empty()) {
    auto& per = by_node_[e.node_id];
    if (--per[e.service_id] == 0)
      per.erase(e.service_id);
    if (per.empty())
      by_node_.erase(e.node_id);
  }
  tasks_.erase(i);
}

} // namespace actorswarm::orchestrator
