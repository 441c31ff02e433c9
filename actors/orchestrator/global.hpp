#pragma once

// Global orchestrator logic (SwarmKit manager/orchestrator/global/
// global.go): one runnable task per eligible node. Drained or ineligible
// nodes lose their task (desired SHUTDOWN); removed nodes' tasks are
// orphaned; paused, down and unreachable nodes keep what they run but get
// no new task.

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "actors/orchestrator/nodes.hpp"
#include "actors/orchestrator/restart.hpp"
#include "actors/orchestrator/task_model.hpp"

namespace actorswarm::orchestrator {

/// Whether a ready, active node may run a task of the service being
/// reconciled (constraints, platform, ...). Supplied by the glue, typically
/// the scheduler's constraint matcher. Availability and status are judged by
/// the orchestrator itself (node_fate), so the predicate need not look at
/// them; if it does, paused nodes still keep their tasks.
using node_predicate = std::function<bool(const pb::Node&)>;

/// Reconciles the global `service` given all its `tasks` and all `nodes`.
/// New tasks carry the node id and slot 0. Restart policy and history apply
/// per service+node. Requires spec.mode GLOBAL; `eligible` may be empty
/// (every node eligible).
reconcile_result reconcile_global(const pb::Service& service,
                                  const std::vector<pb::Task>& tasks,
                                  const node_map& nodes,
                                  const node_predicate& eligible,
                                  restart_tracker& restarts, int64_t now_ns,
                                  std::mt19937_64& gen);

} // namespace actorswarm::orchestrator
