#pragma once

// The protocol of a join-token request (token_actor.hpp).

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, join_token_atom, "jointoken")

namespace actorswarm::node {

using token_actor_type = caf::typed_actor<
  /// From the membership actor: answer `swarm join-token [--rotate] ROLE`:
  /// the role's token (rotated first, and stored, with --rotate) and this
  /// manager's address. Then the token actor is gone.
  caf::replies_to<join_token_atom>::with<pb::ControlReply>>;

} // namespace actorswarm::node
