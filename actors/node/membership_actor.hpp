#pragma once

// The membership actor is this node's place in a swarm. It owns the node's
// identity (node id, cluster id, address, Raft id, role, kept in the data
// dir's node_state, membership.hpp) and serves the membership requests:
// info, swarm init, join-token and, each as an actor of its own, swarm join
// (join_actor), swarm leave (leave_actor), --force-new-cluster
// (recover_actor) and node promote|demote|rm (role_change_actor); from
// other nodes, joins (admission_actor), demotes forwarded to this leader
// and role changes the leader made (ROLE). It tells the node supervisor,
// its parent, when to start and stop the components. One change of this
// node's own membership (join, leave, restart of the components) at a time.
//
// Protocol: membership_interface.hpp.
// Sends:    (components_start_atom), (components_stop_atom) and
//           (transport_open_atom) to the node supervisor; (view_atom) and
//           (propose_atom, StoreBatch) to the store.

#include "caf/fwd.hpp"

#include "actors/node/membership_interface.hpp"
#include "actors/node/node_actor.hpp"

namespace actorswarm::node {

/// Spawns the membership actor of the node supervisor `node` (its
/// `parent`), linked to it. `dir` and `clk` outlive it.
membership_actor_type spawn_membership(caf::local_actor* parent,
                                       node_actor_type node,
                                       persistence::data_dir& dir,
                                       const node_config& cfg, clock& clk);

} // namespace actorswarm::node
