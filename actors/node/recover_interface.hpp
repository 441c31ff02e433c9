#pragma once

// The protocol of a recovery (recover_actor.hpp): one `swarm init
// --force-new-cluster` on a manager of an existing swarm.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/node/membership_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, force_new_cluster_atom, "forcenew")

namespace actorswarm::node {

using recover_actor_type = caf::typed_actor<
  /// From the membership actor: stop the components, rewrite the Raft
  /// state as a one-member group at this manager's applied index, have the
  /// membership actor record this node as its founder (node_founded_atom)
  /// and start the components again. Answers swarm init's reply (code 0),
  /// or why not: then the components run as before. Then the recover actor
  /// is gone.
  caf::replies_to<force_new_cluster_atom>::with<pb::ControlReply>>;

/// What a recovery needs of the node supervisor: stopping the components
/// and starting them again.
using recover_node_type
  = caf::typed_actor<caf::replies_to<components_start_atom>::with<bool>,
                     caf::replies_to<components_stop_atom>::with<bool>>;

/// What a recovery needs of the membership actor: record the new group.
using recover_recorder_type
  = caf::typed_actor<caf::replies_to<node_founded_atom>::with<bool>>;

} // namespace actorswarm::node
