#pragma once

// The task actor's protocol (task_actor.hpp): its agent hands it newer
// versions of its task or unassigns it; the process watcher reports its
// process's exit and its health probes' ends; it reports statuses (with the
// task's health) and asks for its process record.

#include <string>

#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

// -- type-id block --------------------------------------------------
// The task block (STYLE.md R7): the task component's in-process message
// types, registered by actors/register_types.hpp. Never serialized (marked
// unsafe-for-the-wire); inspect() is for to_string in tests.

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/type_id.hpp"

#include "actors/task/process_exit.hpp"
#include "messages/type_id_blocks.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_task, ::actorswarm::type_id_blocks::task)

CAF_ADD_TYPE_ID(actorswarm_task, (actorswarm::task::process_exit))

CAF_END_TYPE_ID_BLOCK(actorswarm_task)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_task::end,
                                     ::actorswarm::type_id_blocks::dispatcher),
  "the task block runs into the dispatcher block");

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::task::process_exit)

namespace actorswarm::task {

/// Inspects a process_exit (never serialized; for to_string in tests).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_exit& x) {
  return f(caf::meta::type_name("process_exit"), x.known, x.exit_code,
           x.signal);
}

} // namespace actorswarm::task

CAF_ADD_ATOM(actorswarm, actorswarm, exited_atom, "exited")
CAF_ADD_ATOM(actorswarm, actorswarm, task_update_atom, "taskupdate")
CAF_ADD_ATOM(actorswarm, actorswarm, unassign_atom, "unassign")
CAF_ADD_ATOM(actorswarm, actorswarm, task_kill_atom, "taskkill")
CAF_ADD_ATOM(actorswarm, actorswarm, task_status_atom, "taskstatus")
CAF_ADD_ATOM(actorswarm, actorswarm, task_record_atom, "taskrecord")
CAF_ADD_ATOM(actorswarm, actorswarm, probe_due_atom, "probedue")
CAF_ADD_ATOM(actorswarm, actorswarm, probe_end_atom, "probeend")
CAF_ADD_ATOM(actorswarm, actorswarm, probe_kill_atom, "probekill")

namespace actorswarm::task {

/// What a task actor needs of the agent that spawned it.
using owner_actor_type = caf::typed_actor<
  /// (task id, status): a new status of the task, to be batched to the
  /// dispatcher. No reply.
  caf::reacts_to<task_status_atom, std::string, pb::TaskStatus>,
  /// (task id, encoded process record; "" removes it): writes the record
  /// durably (synced); replies true once it is. The start gate opens only
  /// after that reply.
  caf::replies_to<task_record_atom, std::string, std::string>::with<bool>>;

/// One task actor per task assigned to this node.
using task_actor_type = caf::typed_actor<
  /// A newer version of its task (desired state, spec), from the agent. No
  /// reply.
  caf::reacts_to<task_update_atom, pb::Task>,
  /// Its process ended, from the process watcher's thread (or at once when
  /// the process could not be watched). No reply.
  caf::reacts_to<exited_atom, process_exit>,
  /// internal: the stop grace period ran out; SIGKILL to the process group.
  caf::reacts_to<task_kill_atom>,
  /// internal: time for health probe number N (health.hpp). No reply.
  caf::reacts_to<probe_due_atom, uint64_t>,
  /// Health probe N ended, from the process watcher's thread. No reply.
  caf::reacts_to<probe_end_atom, uint64_t, process_exit>,
  /// internal: health probe N ran out of its timeout; SIGKILL to its
  /// group, and it counts as failed. No reply.
  caf::reacts_to<probe_kill_atom, uint64_t>,
  /// The task is no longer assigned here (from the agent): stop what runs,
  /// then quit. No reply.
  caf::reacts_to<unassign_atom>>;

} // namespace actorswarm::task
