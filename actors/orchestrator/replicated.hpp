#pragma once

// Replicated orchestrator logic (SwarmKit manager/orchestrator/replicated/
// services.go and slot.go): slots 1..replicas each hold exactly one runnable
// task; tasks of higher slots are shut down; a dead task is replaced as its
// restart policy says; a task lost with its node (drained, down, removed) is
// rescheduled at once.

#include <cstdint>
#include <random>
#include <vector>

#include "actors/orchestrator/nodes.hpp"
#include "actors/orchestrator/restart.hpp"
#include "actors/orchestrator/task_model.hpp"

namespace actorswarm::orchestrator {

/// Reconciles the replicated `service` given all its `tasks` (any state) and
/// the cluster's `nodes`. Scaling down sets desired_state SHUTDOWN on every
/// task of a slot above spec.replicas (highest slots go first by
/// construction). New tasks are unassigned (node_id empty). Restarts are
/// recorded in `restarts`; ids come from `gen`. Deterministic for equal
/// inputs and generator state. Requires spec.mode REPLICATED.
///
/// Creates at most `limits.new_tasks_max` tasks (slots visited in ascending
/// order); when it stops there with slots left to visit it sets `more`, and
/// the caller reconciles again once the actions have committed. Fills no
/// empty slot above `limits.slots_max`. The work is bounded by tasks.size()
/// + new_tasks_max, not by spec.replicas.
reconcile_result reconcile_replicated(const pb::Service& service,
                                      const std::vector<pb::Task>& tasks,
                                      const node_map& nodes,
                                      restart_tracker& restarts, int64_t now_ns,
                                      std::mt19937_64& gen,
                                      const reconcile_limits& limits = {});

} // namespace actorswarm::orchestrator
