#pragma once

// Task reaper (SwarmKit manager/orchestrator/taskreaper/task_reaper.go):
// deletes tasks nobody needs any more, and trims each instance's history.
// Writes only tasks the reconcile functions never write (desired_state above
// RUNNING, or tasks of a deleted service that are terminal or unassigned),
// so its actions and theirs can share one batch.

#include <cstdint>
#include <vector>

#include "actors/orchestrator/task_model.hpp"

namespace actorswarm::orchestrator {

/// Docker's default for ClusterSpec.task_history_limit.
constexpr uint64_t default_task_history_limit = 5;

/// A task that will never run again on its own: terminal, or never assigned
/// to a node (state < ASSIGNED) so no agent holds it.
bool is_finished(const pb::Task& x);

/// REMOVE actions for the tasks of one service (`service` nullptr: the
/// service is deleted):
/// - deleted service: every finished task;
/// - desired_state REMOVE (or beyond) and finished: deleted;
/// - per instance (slot, or node for global), the finished tasks no longer
///   desired RUNNING are history: the newest `task_history_limit` stay, older
///   ones are deleted. The instance's current task never counts as history.
/// The caller resolves the cluster's limit (see default_task_history_limit).
reconcile_result reap_tasks(const pb::Service* service,
                            const std::vector<pb::Task>& tasks,
                            uint64_t task_history_limit);

} // namespace actorswarm::orchestrator
