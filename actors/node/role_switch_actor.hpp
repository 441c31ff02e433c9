#pragma once

// A role switch runs the role change the leader made to this node (ROLE):
// the components stop; a demoted manager forgets its Raft state (the
// membership actor records it: a new Raft id if it is ever promoted again,
// ids of removed members are never reused) and continues as a worker of
// the remaining managers; a promoted worker joins the Raft group with the
// manager token (join_actor) and runs on as a worker if that fails. Its
// tasks keep running throughout.
//
// Protocol: role_switch_interface.hpp.
// Sends:    (components_stop_atom) and (components_start_atom) to the node
//           supervisor; (node_demoted_atom, managers) to the membership
//           actor.

#include "caf/fwd.hpp"

#include "actors/node/membership.hpp"
#include "actors/node/role_switch_interface.hpp"

namespace actorswarm::node {

/// What a role switch needs to know.
struct role_switch_config {
  role_switch_node_type node;
  role_switch_recorder_type membership;
  pb::RoleChange change;      // from the leader
  identity id;                // this node now
  std::string public_key_pem; // this node's, for its manager certificate
};

/// Spawns a role switch linked to `parent`.
role_switch_actor_type spawn_role_switch(caf::local_actor* parent,
                                         role_switch_config cfg);

} // namespace actorswarm::node
