#include "actors/orchestrator/global.hpp"

#include <map>
#include <string>

#include "actors/orchestrator/instance.hpp"
#include "messages/assert.hpp"

namespace actorswarm::orchestrator {

namespace {

void shutdown_tasks(const instance& x, reconcile_result& out) {
  for (const auto* t : x.tasks)
    out.actions.emplace_back(set_desired_action(*t, pb::SHUTDOWN));
}

// The node left the cluster: its agent will never report, so the manager
// ends what still runs there (ORPHANED) and retires the rest.
void orphan_tasks(const instance& x, int64_t now_ns, reconcile_result& out) {
  for (const auto* t : x.tasks) {
    if (is_terminal(t->status().state()))
      out.actions.emplace_back(set_desired_action(*t, pb::SHUTDOWN));
    else
      out.actions.emplace_back(orphan_action(*t, now_ns, "node removed"));
  }
}

} // namespace

reconcile_result reconcile_global(const pb::Service& service,
                                  const std::vector<pb::Task>& tasks,
                                  const node_map& nodes,
                                  const node_predicate& eligible,
                                  restart_tracker& restarts, int64_t now_ns,
                                  std::mt19937_64& gen) {
  AS_ASSERT(service.spec().mode() == pb::ServiceSpec::GLOBAL);
  reconcile_result out;
  std::map<std::string, instance> by_node;
  for (const auto& t : tasks) {
    AS_ASSERT(t.service_id() == service.id());
    if (is_desired_running(t))
      by_node[t.node_id()].tasks.emplace_back(&t);
  }
  for (const auto& [id, node] : nodes) {
    instance x;
    if (auto i = by_node.find(id); i != by_node.end()) {
      x = std::move(i->second);
      by_node.erase(i);
    }
    x.node_id = id;
    switch (fate_of(nodes, id)) {
      case node_fate::drained:
        shutdown_tasks(x, out);
        continue;
      case node_fate::paused:
      case node_fate::down:
      case node_fate::unreachable:
        // SwarmKit: keep what runs there, start nothing new.
        continue;
      case node_fate::active:
      case node_fate::removed:
        break;
    }
    if (eligible && !eligible(node)) {
      shutdown_tasks(x, out);
      continue;
    }
    reconcile_instance(service, std::move(x), restarts, now_ns, gen, out);
  }
  // What is left ran on nodes that no longer exist (or on no node at all).
  for (const auto& [id, x] : by_node)
    orphan_tasks(x, now_ns, out);
  return out;
}

} // namespace actorswarm::orchestrator
