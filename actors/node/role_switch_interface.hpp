#pragma once

// The protocol of a role switch (role_switch_actor.hpp): this node taking
// the role the leader gave it.

#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/node/membership_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, role_switch_atom, "roleswitch")

namespace actorswarm::node {

using role_switch_actor_type = caf::typed_actor<
  /// From the membership actor: switch. The components stop; a demoted
  /// manager has the membership actor record it as a worker
  /// (node_demoted_atom) and starts them again; a promoted worker joins with
  /// the manager token (join_actor) and starts them again as a worker if
  /// that fails. Answers the join's reply (code 0 for a demote); then the
  /// role switch actor is gone.
  caf::replies_to<role_switch_atom>::with<pb::ControlReply>>;

/// What a role switch needs of the node supervisor: stop and start the
/// components, and the cluster port for a join.
///
using role_switch_node_type
  = caf::typed_actor<caf::replies_to<components_start_atom>::with<bool>,
                     caf::replies_to<components_stop_atom>::with<bool>,
                     caf::replies_to<transport_open_atom>::with<
                       net::cluster_transport_actor_type>>;

/// What a role switch needs of the membership actor: record a demote, and
/// a join.
using role_switch_recorder_type = caf::typed_actor<
  caf::replies_to<node_demoted_atom, std::vector<std::string>>::with<bool>,
  caf::replies_to<join_adopt_atom, pb::JoinReply, std::string>::with<
    pb::ControlReply, store::store_actor_type>>;

} // namespace actorswarm::node
