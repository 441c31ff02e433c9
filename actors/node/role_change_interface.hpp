#pragma once

// The protocol of a role change (role_change_actor.hpp): one `node
// promote|demote|rm`, or a manager's removal from the Raft group at `swarm
// leave`, run on the leader.

#include <cstdint>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, role_change_atom, "rolechange")
CAF_ADD_ATOM(actorswarm, actorswarm, transfer_poll_atom, "xferpoll")
CAF_ADD_ATOM(actorswarm, actorswarm, transfer_settled_atom, "xfersettle")

namespace actorswarm::node {

using role_change_actor_type = caf::typed_actor<
  /// From the membership or leave actor: run the change. On the leader:
  /// promote (the node joins with the manager token), demote (the manager
  /// leaves the Raft group; the leader demoting itself hands leadership to
  /// another manager first and forwards the demote to it), rm. A follower
  /// forwards the request to the leader. Answers a ControlReply (Docker's
  /// refusals with a code); then the role change actor is gone.
  caf::replies_to<role_change_atom>::with<pb::ControlReply>,
  /// Internal: poll whether leadership moved away from this manager.
  caf::reacts_to<transfer_poll_atom>,
  /// Internal: the new leader (a Raft id) had time to hear from every
  /// manager; forward the demote to it.
  caf::reacts_to<transfer_settled_atom, uint64_t>>;

} // namespace actorswarm::node
