#pragma once

// The protocol of a recovery (recover_actor.hpp): one `swarm init
// --force-new-cluster` on a manager of an existing swarm.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/node/node_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, force_new_cluster_atom, "forcenew")

namespace actorswarm::node {

using recover_actor_type = caf::typed_actor<
  /// From the membership actor: stop the components and rewrite the Raft
  /// state as a one-member group at this manager's applied index. Answers
  /// swarm init's reply (code 0) with the components stopped (the
  /// membership actor records the new group and starts them), or why not:
  /// then the components run as before. Then the recover actor is gone.
  caf::replies_to<force_new_cluster_atom>::with<pb::ControlReply>>;

/// What a recovery needs of the node supervisor: stopping the components,
/// and starting them again after a failed rewrite.
using recover_node_type
  = caf::typed_actor<caf::replies_to<components_start_atom>::with<bool>,
                     caf::replies_to<components_stop_atom>::with<bool>>;

} // namespace actorswarm::node
