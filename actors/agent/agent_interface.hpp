#pragma once

// The agent's protocol (agent_actor.hpp): its session host (the dispatcher,
// or the dispatcher proxy on a worker) sends it assignments; its task actors
// report statuses and ask for process records.

#include "actors/dispatcher/dispatcher_interface.hpp"
#include "actors/task/task_interface.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, heartbeat_due_atom, "hbdue")
CAF_ADD_ATOM(actorswarm, actorswarm, log_maintain_atom, "logmaint")

namespace actorswarm::agent {

/// The agent of this node.
using agent_actor_type = caf::typed_actor<
  /// The node's assignments (dispatcher::assignee_actor_type).
  caf::reacts_to<assign_atom, pb::Assignments>,
  /// A task actor's status and record requests (task::owner_actor_type).
  caf::reacts_to<task_status_atom, std::string, pb::TaskStatus>,
  caf::replies_to<task_record_atom, std::string, std::string>::with<bool>,
  /// internal: writes the buffered records (synced, one group commit) and
  /// sends the buffered statuses as one batch.
  caf::reacts_to<flush_atom>,
  /// internal: time to send the session's heartbeat (every half period).
  caf::reacts_to<heartbeat_due_atom>,
  /// internal: the task log timer (the node bound, task_logs::trim_node).
  caf::reacts_to<log_maintain_atom>>;

} // namespace actorswarm::agent
