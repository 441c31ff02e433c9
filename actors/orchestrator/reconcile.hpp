#pragma once

// Entry point for the orchestrator glue: reconcile one service, whatever its
// mode, or the leftovers of a deleted one.

#include <cstdint>
#include <random>
#include <vector>

#include "actors/orchestrator/global.hpp"
#include "actors/orchestrator/nodes.hpp"
#include "actors/orchestrator/replicated.hpp"
#include "actors/orchestrator/restart.hpp"
#include "actors/orchestrator/task_model.hpp"

namespace actorswarm::orchestrator {

/// A deleted service: every task still desired below REMOVE that is assigned
/// (state >= ASSIGNED) and not terminal gets desired_state REMOVE, so its
/// agent stops it. Terminal and never-assigned tasks are the task reaper's:
/// it deletes them, so the two never write the same task. Also forgets the
/// service's restart history.
reconcile_result reconcile_removed(const std::vector<pb::Task>& tasks,
                                   restart_tracker& restarts);

/// Reconciles one service: nullptr (deleted) → reconcile_removed; GLOBAL →
/// reconcile_global; REPLICATED → reconcile_replicated within `limits`
/// (the rest when `more` is set: after these commit). A global service makes at
/// most one task per node, so it is bounded by the cluster's size. `tasks` are
/// all tasks of that service.
reconcile_result reconcile_service(const pb::Service* service,
                                   const std::vector<pb::Task>& tasks,
                                   const node_map& nodes,
                                   const node_predicate& eligible,
                                   restart_tracker& restarts, int64_t now_ns,
                                   std::mt19937_64& gen,
                                   const reconcile_limits& limits = {});

} // namespace actorswarm::orchestrator
