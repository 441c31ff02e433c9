#pragma once

// The protocol of a leave (leave_actor.hpp): one `swarm leave`, spawned for
// it by the membership actor.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/node/node_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, node_leave_atom, "nodeleave")
CAF_ADD_ATOM(actorswarm, actorswarm, leave_check_atom, "leavecheck")

namespace actorswarm::node {

using leave_actor_type = caf::typed_actor<
  /// From the membership actor: leave. A manager without --force whose
  /// leave would lose the quorum is refused; a manager of several leaves
  /// the Raft group through the leader first. Then the components stop and
  /// the task processes get SIGTERM (SIGKILL after the stop grace period).
  /// Answers code 0 once they are gone (the membership actor then wipes
  /// the swarm state), else the refusal. Then the leave actor is gone.
  caf::replies_to<node_leave_atom>::with<pb::ControlReply>,
  /// Internal: check whether the stopped task processes are gone.
  caf::reacts_to<leave_check_atom>>;

/// What a leave needs of the node supervisor: stopping the components.
using leave_node_type
  = caf::typed_actor<caf::replies_to<components_stop_atom>::with<bool>>;

} // namespace actorswarm::node
