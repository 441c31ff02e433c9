#pragma once

// An admission is a manager's side of one JoinRequest that arrived on the
// cluster port. The leader checks the token in constant time, stores the
// joiner's node object and adds a manager to the Raft group (one
// membership change at a time); a follower passes the request, unchanged,
// to the leader. The joiner then starts its components on an empty log:
// the leader's snapshot and log entries bring it up to date.
//
// Protocol: admission_interface.hpp.
// Sends:    (raft_status_atom), (view_atom), (propose_atom, StoreBatch) and
//           (conf_atom, ConfChange) to the store; (rpc_atom, raft_id,
//           JOIN, bytes) to the transport.

#include <string>

#include "caf/fwd.hpp"

#include "actors/node/admission_interface.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::node {

class clock;

/// Spawns an admission of `req` (`bytes` serialized) linked to `parent`.
///
admission_actor_type
spawn_admission(caf::local_actor* parent, store::store_actor_type store,
                net::cluster_transport_actor_type transport, clock& clk,
                pb::JoinRequest req, std::string bytes);

} // namespace actorswarm::node
