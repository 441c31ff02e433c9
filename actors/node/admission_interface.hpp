#pragma once

// The protocol of an admission (admission_actor.hpp): a manager's side of
// one JoinRequest that arrived on the cluster port.

#include <string>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, join_admit_atom, "joinadmit")

namespace actorswarm::node {

using admission_actor_type = caf::typed_actor<
  /// From the membership actor: answer the JoinRequest (a serialized
  /// JoinReply). The leader checks the token, stores the node and adds a
  /// manager to the Raft group; a follower passes the request to the
  /// leader and answers what it answers. Then the admission actor is gone.
  caf::replies_to<join_admit_atom>::with<std::string>>;

} // namespace actorswarm::node
