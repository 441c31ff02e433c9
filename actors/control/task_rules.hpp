#pragma once

// Docker's rules for tasks as the CLI sees them, without CAF (SwarmKit:
// manager/controlapi/task.go): task names, which tasks count as running,
// `service ps` with its filters, and which tasks `service logs` reads. Tasks
// are never written through the control actor: the orchestrators own them.

#include <string>

#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::control {

/// Task name as docker shows it: `web.1` (replicated), `web.<node id>`
/// (global).
std::string task_name(const pb::Task& t);

/// True when the task counts as running for `service ls` REPLICAS: running
/// and still desired to run.
bool counts_running(const pb::Task& t);

/// Resolves a task reference (id, unique prefix, or name like `web.1`).
result<store::object_ptr<pb::Task>> find_task(const store::object_store& view,
                                              const std::string& ref);

/// `service ps` / task listing: the tasks of the named services (all when
/// none is named), on the named node, in the given desired states (any when
/// none is given); ordered by service, slot, node, newest first; node names
/// filled in. A reference that matches nothing fails.
result<pb::ControlReply> list_tasks(const store::object_store& view,
                                    const pb::TaskListRequest& req);

/// `service logs`: the tasks whose logs to read (all tasks of the service
/// `req.ref()` names, else the one task it names) with their node names.
/// The control server reads the files; a reference that names neither fails
/// with the service's not-found text.
result<pb::ControlReply> logs_tasks(const store::object_store& view,
                                    const pb::LogsRequest& req);

} // namespace actorswarm::control
