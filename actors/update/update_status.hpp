#pragma once

// Where a rolling update stands (Service.update_status) and how it moves,
// in SwarmKit's words (manager/orchestrator/update/updater.go startUpdate,
// pauseUpdate, rollbackUpdate, completeUpdate; controlapi/service.go for the
// manual rollback). Each function returns the edited copy of a service to
// write back at the version it was read. Pure.

#include <cstdint>
#include <string>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::update {

/// True while an update or rollback is under way (UPDATING or
/// ROLLBACK_STARTED): the update actor drives it.
bool in_progress(const pb::UpdateStatus& x);

/// True while it is paused (PAUSED or ROLLBACK_PAUSED): nothing new starts
/// until the next `service update`.
bool paused(const pb::UpdateStatus& x);

/// UPDATING, "update in progress", started at `now_ns`.
pb::UpdateStatus updating_status(int64_t now_ns);

/// `s` with an update started (updating_status).
pb::Service start_update(const pb::Service& s, int64_t now_ns);

/// `s` with its update (or rollback) done: COMPLETED "update completed" or
/// ROLLBACK_COMPLETED "rollback completed", completed at `now_ns`.
pb::Service complete_update(const pb::Service& s, int64_t now_ns);

/// "update paused due to failure or early termination of task X" (or
/// "rollback paused ..." while rolling back).
std::string paused_message(const std::string& task_id, bool rollback);

/// "update rolled back due to failure or early termination of task X".
std::string rolled_back_message(const std::string& task_id);

/// `s` paused with `message`: PAUSED, or ROLLBACK_PAUSED while rolling back.
pb::Service pause_update(const pb::Service& s, const std::string& message);

/// The failure action ROLLBACK (SwarmKit rollbackUpdate): spec :=
/// previous_spec, previous_spec cleared, spec_version one on (tasks of the
/// restored spec stay: outdated() compares contents), ROLLBACK_STARTED with
/// `message` (started_at kept). Fails (refused) without a previous spec.
result<pb::Service> rollback_update(const pb::Service& s,
                                    const std::string& message);

/// `service rollback` (SwarmKit's UpdateService with Rollback PREVIOUS):
/// spec and previous_spec swap, ROLLBACK_STARTED "manually requested
/// rollback" started at `now_ns`. The spec_version is the caller's to bump.
/// Fails (refused) with `rpc error: code = FailedPrecondition desc = service
/// ID does not have a previous spec`.
result<pb::Service> manual_rollback(const pb::Service& s, int64_t now_ns);

} // namespace actorswarm::update
