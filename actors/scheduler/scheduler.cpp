#include "actors/scheduler/scheduler.hpp"

#include "messages/assert.hpp"

namespace actorswarm::scheduler {

namespace {

// SwarmKit: a task only counts against its node while it is meant to run and
// has not stopped.
bool counts_on_node(const pb::Task& task) {
  return !task.node_id().empty() && task.desired_state() <= pb::RUNNING
         && task.status().state() <= pb::RUNNING;
}

// Tasks that share a key are interchangeable for the filters and strategies.
// The orchestrator stamps every task with the service's spec_version, so the
// version is enough; without one, compare what placement looks at.
std::string group_key(const pb::Task& task) {
  std::string key = task.service_id();
  key += '\0';
  if (task.spec_version() != 0) {
    key += 'v';
    key += std::to_string(task.spec_version());
    return key;
  }
  key += 's';
  // No maps inside these two messages, so serialization is deterministic.
  key += task.spec().placement().SerializeAsString();
  key += '\0';
  key += task.spec().resources().reservations().SerializeAsString();
  return key;
}

std::string no_suitable_node(const std::string& explanation) {
  if (explanation.empty())
    return "no suitable node";
  return "no suitable node (" + explanation + ")";
}

} // namespace

scheduler::scheduler(uint64_t random_seed, scheduler_config cfg)
  : rng_(random_seed), cfg_(cfg) {
  AS_ASSERT(cfg_.validate().ok());
}

// -- state updates ------------------------------------------------------------

node_info& scheduler::node_slot(const std::string& node_id) {
  auto i = node_index_.find(node_id);
  if (i != node_index_.end())
    return nodes_[i->second];
  AS_ASSERT(nodes_.size() < UINT32_MAX);
  node_index_.emplace(node_id, static_cast<uint32_t>(nodes_.size()));
  nodes_.emplace_back(node_id);
  return nodes_.back();
}

void scheduler::erase_node_at(uint32_t index) {
  AS_ASSERT(index < nodes_.size());
  node_index_.erase(nodes_[index].id());
  if (index + 1 != nodes_.size()) {
    nodes_[index] = std::move(nodes_.back());
    node_index_[nodes_[index].id()] = index;
  }
  nodes_.pop_back();
}

void scheduler::upsert_node(const pb::Node& node) {
  auto& slot = node_slot(node.id());
  if (!slot.known())
    ++known_nodes_;
  slot.set_node(node);
}

void scheduler::remove_node(const std::string& node_id) {
  auto i = node_index_.find(node_id);
  if (i == node_index_.end() || !nodes_[i->second].known())
    return;
  --known_nodes_;
  if (nodes_[i->second].active_tasks() == 0)
    erase_node_at(i->second);
  else
    nodes_[i->second].forget_node();
}

void scheduler::uncount(const std::string& task_id) {
  auto t = tasks_.find(task_id);
  if (t == tasks_.end())
    return;
  auto n = node_index_.find(t->second.node_id);
  AS_ASSERT(n != node_index_.end());
  auto& node = nodes_[n->second];
  node.remove_task(t->second.usage);
  if (!node.known() && node.active_tasks() == 0)
    erase_node_at(n->second);
  tasks_.erase(t);
}

void scheduler::count(const std::string& task_id, uint32_t node_index,
                      task_usage usage) {
  auto [i, added] = tasks_.try_emplace(task_id);
  if (!added) {
    // A task listed twice in one batch must still count once. Its old node
    // is known, so nothing is erased and node_index stays valid.
    nodes_[node_index_.at(i->second.node_id)].remove_task(i->second.usage);
  }
  auto& node = nodes_[node_index];
  node.add_task(usage);
  i->second = task_record{node.id(), std::move(usage)};
}

void scheduler::upsert_task(const pb::Task& task) {
  auto state = task.status().state();
  auto old = tasks_.find(task.id());
  if (old != tasks_.end() && (state == pb::FAILED || state == pb::REJECTED)) {
    // SwarmKit's taskFailed: the node that ran it remembers the failure.
    auto& node = nodes_[node_index_.at(old->second.node_id)];
    node.record_failure(failure_key(task), task.status().timestamp_ns(),
                        cfg_.max_failures, cfg_.failure_window_ns);
  }
  uncount(task.id());
  if (!counts_on_node(task))
    return;
  node_slot(task.node_id());
  count(task.id(), node_index_.at(task.node_id()), usage_of(task));
}

void scheduler::remove_task(const std::string& task_id) {
  uncount(task_id);
}

const node_info* scheduler::find_node(const std::string& node_id) const {
  auto i = node_index_.find(node_id);
  return i == node_index_.end() ? nullptr : &nodes_[i->second];
}

// -- scheduling ---------------------------------------------------------------

std::vector<decision>
scheduler::schedule(const std::vector<const pb::Task*>& pending,
                    pb::Placement::Strategy cluster_default, int64_t now_ns) {
  std::vector<decision> out(pending.size());
  std::vector<group> groups;
  std::unordered_map<std::string, size_t> group_of;
  std::vector<size_t> preassigned;
  tasks_.reserve(tasks_.size() + pending.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    const auto* task = pending[i];
    AS_ASSERT(task != nullptr);
    out[i].task_id = task->id();
    // A task being (re)scheduled must not count against itself.
    uncount(task->id());
    if (!task->node_id().empty()) {
      preassigned.push_back(i);
      continue;
    }
    auto [pos, added] = group_of.emplace(group_key(*task), groups.size());
    if (added)
      groups.push_back(group{task, {}});
    groups[pos->second].members.push_back(i);
  }
  // SwarmKit places preassigned (global) tasks first: they have no choice.
  for (auto i : preassigned)
    schedule_preassigned(*pending[i], out[i]);
  for (const auto& g : groups)
    schedule_group(g, pending, cluster_default, now_ns, out);
  return out;
}

void scheduler::schedule_preassigned(const pb::Task& task, decision& out) {
  filters_.set_task(task);
  auto i = node_index_.find(task.node_id());
  if (i == node_index_.end() || !nodes_[i->second].known()) {
    out.explanation = "node " + task.node_id() + " not found";
    return;
  }
  if (!filters_.process(nodes_[i->second])) {
    // SwarmKit reports the bare filter text for preassigned tasks.
    out.explanation = filters_.explain();
    return;
  }
  count(task.id(), i->second, usage_of(task));
  out.node_id = task.node_id();
}

void scheduler::schedule_group(const group& g,
                               const std::vector<const pb::Task*>& pending,
                               pb::Placement::Strategy cluster_default,
                               int64_t now_ns, std::vector<decision>& out) {
  const auto& rep = *g.representative;
  filters_.set_task(rep);
  size_t next = 0;
  // All members share the representative's service and reservations.
  auto usage = usage_of(rep);
  auto assign = [&](uint32_t node_index) {
    AS_ASSERT(next < g.members.size());
    auto i = g.members[next++];
    count(pending[i]->id(), node_index, usage);
    out[i].node_id = nodes_[node_index].id();
  };
  group_placer::faulty_fn faulty;
  if (now_ns != 0 && cfg_.max_failures > 0) {
    faulty = [this, now_ns, key = failure_key(rep)](const node_info& n) {
      return n.recent_failures(key, now_ns, cfg_.failure_window_ns)
             >= cfg_.max_failures;
    };
  }
  group_placer placer{
    nodes_, filters_,         rep, strategy_for(rep, cluster_default), rng_,
    assign, std::move(faulty)};
  placer.place(g.members.size());
  if (next == g.members.size())
    return;
  auto why = no_suitable_node(filters_.explain());
  for (; next < g.members.size(); ++next)
    out[g.members[next]].explanation = why;
}

} // namespace actorswarm::scheduler
