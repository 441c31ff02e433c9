#include "actors/orchestrator/replicated.hpp"

#include <map>

#include "actors/orchestrator/instance.hpp"
#include "messages/assert.hpp"

namespace actorswarm::orchestrator {

namespace {

// A runnable task whose node is gone for good or must not run it. Tasks not
// yet assigned have no node to lose.
bool lost_with_node(const pb::Task& t, const node_map& nodes) {
  if (t.node_id().empty() || !is_runnable(t))
    return false;
  auto f = fate_of(nodes, t.node_id());
  return f == node_fate::drained || f == node_fate::down
         || f == node_fate::removed;
}

// Stops a task lost with its node. A removed node never reports again, so
// the manager also ends the observed state (ORPHANED) for the reaper.
pb::StoreAction stop_lost(const pb::Task& t, const node_map& nodes,
                          int64_t now_ns) {
  if (fate_of(nodes, t.node_id()) == node_fate::removed)
    return orphan_action(t, now_ns, "node removed");
  return set_desired_action(t, pb::SHUTDOWN);
}

} // namespace

reconcile_result reconcile_replicated(const pb::Service& service,
                                      const std::vector<pb::Task>& tasks,
                                      const node_map& nodes,
                                      restart_tracker& restarts, int64_t now_ns,
                                      std::mt19937_64& gen,
                                      const reconcile_limits& limits) {
  AS_ASSERT(service.spec().mode() == pb::ServiceSpec::REPLICATED);
  reconcile_result out;
  auto replicas = service.spec().replicas();
  // Only tasks still desired RUNNING take part; the rest is history.
  std::map<uint64_t, instance> slots;
  for (const auto& t : tasks) {
    AS_ASSERT(t.service_id() == service.id());
    if (!is_desired_running(t))
      continue;
    if (t.slot() == 0 || t.slot() > replicas) {
      // Scale down: every slot above replicas goes, highest or not.
      out.actions.emplace_back(set_desired_action(t, pb::SHUTDOWN));
      continue;
    }
    auto& x = slots[t.slot()];
    x.slot = t.slot();
    if (lost_with_node(t, nodes)) {
      out.actions.emplace_back(stop_lost(t, nodes, now_ns));
      x.reschedule = true;
      continue;
    }
    x.tasks.emplace_back(&t);
  }
  // One instance per slot, created or reconciled, in slot order. An empty
  // slot gets a task or ends the walk, and above slots_max the walk jumps
  // from held slot to held slot: at most slots.size() + new_tasks_max + 1
  // steps, however large replicas is.
  uint64_t created = 0;
  auto next = slots.begin();
  for (uint64_t slot = 1; slot <= replicas; ++slot) {
    if (created >= limits.new_tasks_max) {
      out.more = true;
      break;
    }
    bool held = next != slots.end() && next->first == slot;
    if (!held && slot > limits.slots_max) {
      if (next == slots.end())
        break;
      slot = next->first - 1; // the loop's ++slot lands on it
      continue;
    }
    instance x;
    x.slot = slot;
    if (held)
      x = std::move((next++)->second);
    auto before = out.actions.size();
    reconcile_instance(service, std::move(x), restarts, now_ns, gen, out);
    for (auto i = before; i < out.actions.size(); ++i)
      created += out.actions[i].kind() == pb::StoreAction::CREATE ? 1 : 0;
  }
  return out;
}

} // namespace actorswarm::orchestrator
