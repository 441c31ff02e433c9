#pragma once

// The membership actor is this node's own place in a swarm. It owns the
// node's identity (node id, cluster id, address, Raft id, role, kept in the
// data dir's node_state, membership.hpp) and serves info, swarm init and,
// each as an actor of its own, join-token (token_actor), swarm join
// (join_actor), swarm leave (leave_actor) and --force-new-cluster
// (recover_actor), and the role changes the leader makes to this node
// (ROLE: a demoted manager continues as a worker, a promoted worker joins).
// It tells the node supervisor, its parent, when to start and stop the
// components. One change of this node's membership at a time (own_change,
// membership.hpp). Other nodes' membership: swarm_admin_actor.hpp.
//
// Protocol: membership_interface.hpp.
// Sends:    (components_start_atom) and (components_stop_atom) to the node
//           supervisor; (propose_atom, StoreBatch) to the store (swarm
//           init's cluster and node).

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
