#pragma once

// A role change runs one `node promote|demote|rm`, or a manager's removal
// from the Raft group at `swarm leave`, on the leader: a follower forwards
// the request (CONTROL). The leader changes the Raft group and the node
// object, then tells the node (ROLE): a promoted worker joins the Raft
// group with the manager token and starts the manager components; a
// demoted manager stops them, forgets its Raft state and continues as a
// worker of the remaining managers. Its tasks keep running throughout. The
// leader demoting itself hands leadership to a reachable manager first and
// forwards the demote to the new leader (membership_steps.hpp).
//
// Protocol: role_change_interface.hpp.
// Sends:    (raft_status_atom), (view_atom), (propose_atom, StoreBatch),
//           (conf_atom, ConfChange) and (transfer_atom, raft_id) to the
//           store; (rpc_atom, raft_id | addr, CONTROL | ROLE, bytes) to the
//           transport.

#include "caf/fwd.hpp"

#include "actors/node/role_change_interface.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::node {

class clock;

/// Spawns a role change running `req` (a node_role or node_remove with
/// node references; `self` already resolved) linked to `parent`.
///
role_change_actor_type
spawn_role_change(caf::local_actor* parent, store::store_actor_type store,
                  net::cluster_transport_actor_type transport, clock& clk,
                  pb::ControlRequest req);

} // namespace actorswarm::node
