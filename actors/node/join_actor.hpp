#pragma once

// A join is the joining side of one `swarm join` or promotion: it opens the
// cluster port, sends the JoinRequest to the manager it was given (again
// while the swarm has no leader), has the membership actor record the swarm
// and start the components, and then waits until a new manager's store
// caught up with the leader, so that `swarm join` answers with a manager
// that serves current reads. Bounds and intervals: membership_steps.hpp.
//
// Protocol: join_interface.hpp.
// Sends:    (transport_open_atom) to the node supervisor; (cluster_join_atom,
//           addr, pin, JoinRequest) -> JoinReply to the transport (a dial
//           without certificate that accepts only the pinned CA);
//           (join_adopt_atom, JoinReply, addr) to the membership actor;
//           (read_atom) -> bool to the new store.

#include <string>

#include "caf/fwd.hpp"

#include "actors/node/join_interface.hpp"

namespace actorswarm::node {

/// Where a join goes and who records it.
struct join_config {
  join_port_type node;           // opens the cluster port
  join_recorder_type membership; // records the swarm
  std::string remote;            // the manager's address, host:port
  pb::JoinRequest request;
  std::string addr; // this node's advertised address
  std::string pin;  // the CA digest from the token (32 raw bytes)
};

/// Spawns a join linked to `parent`.
join_actor_type spawn_join(caf::local_actor* parent, join_config cfg);

} // namespace actorswarm::node
