#include "actors/orchestrator/reconcile.hpp"

namespace actorswarm::orchestrator {

reconcile_result reconcile_removed(const std::vector<pb::Task>& tasks,
                                   restart_tracker& restarts) {
  reconcile_result out;
  for (const auto& t : tasks) {
    restarts.forget_service(t.service_id());
    auto st = t.status().state();
    if (t.desired_state() < pb::REMOVE && st >= pb::ASSIGNED
        && !is_terminal(st))
      out.actions.emplace_back(set_desired_action(t, pb::REMOVE));
  }
  return out;
}

reconcile_result reconcile_service(const pb::Service* service,
                                   const std::vector<pb::Task>& tasks,
                                   const node_map& nodes,
                                   const node_predicate& eligible,
                                   restart_tracker& restarts, int64_t now_ns,
                                   std::mt19937_64& gen,
                                   const reconcile_limits& limits) {
  if (service == nullptr)
    return reconcile_removed(tasks, restarts);
  if (service->spec().mode() == pb::ServiceSpec::GLOBAL)
    return reconcile_global(*service, tasks, nodes, eligible, restarts, now_ns,
                            gen);
  return reconcile_replicated(*service, tasks, nodes, restarts, now_ns, gen,
                              limits);
}

} // namespace actorswarm::orchestrator
