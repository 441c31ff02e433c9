#pragma once

// Reconcile of one task instance (a replicated slot or a global service's
// node), shared by the replicated and global orchestrators. Internal to the
// orchestrator component.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "actors/orchestrator/restart.hpp"
#include "actors/orchestrator/task_model.hpp"

namespace actorswarm::orchestrator {

/// One instance to reconcile.
struct instance {
  /// Slot (replicated, 1..replicas) or 0 (global).
  uint64_t slot = 0;
  /// Node (global) or empty (replicated: the scheduler picks one).
  std::string node_id;
  /// The instance's tasks with desired_state <= RUNNING; the pointees must
  /// outlive the call.
  std::vector<const pb::Task*> tasks;
  /// True when a runnable task of this instance was just lost with its node:
  /// replace it now, outside the restart policy (SwarmKit reschedules tasks
  /// of drained and down nodes).
  bool reschedule = false;
};

/// Makes `x` hold exactly one runnable task of `service`: keeps the best
/// runnable one and shuts down the rest; otherwise replaces the newest dead
/// one as the restart policy allows (recording the restart in `restarts`),
/// or creates the first task. Runnable tasks of the current spec_version
/// beside runnable ones of an older spec_version are a rolling update's
/// replacement under way: they are left to the update actor (only dead
/// leftovers are shut down). Appends to `out`.
void reconcile_instance(const pb::Service& service, instance x,
                        restart_tracker& restarts, int64_t now_ns,
                        std::mt19937_64& gen, reconcile_result& out);

} // namespace actorswarm::orchestrator
