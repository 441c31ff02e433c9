#pragma once

// A join is the joining side of one `swarm join` or promotion: it sends the
// JoinRequest to the manager it was given (again while the swarm has no
// leader), and once the membership actor started the joined node's
// components it waits until a new manager's store caught up with the
// leader, so that `swarm join` answers with a manager that serves current
// reads. Bounds and intervals: membership_steps.hpp.
//
// Protocol: join_interface.hpp.
// Sends:    (rpc_atom, addr, JOIN, JoinRequest) -> JoinReply to the
//           transport; (read_atom) -> bool to the store.

#include <string>

#include "caf/fwd.hpp"

#include "actors/node/join_interface.hpp"

namespace actorswarm::node {

/// Spawns a join linked to `parent`: `jr` goes to the manager at `remote`
/// through `transport`. TODO(i7-merge): the transport's typed handle.
join_actor_type spawn_join(caf::local_actor* parent, caf::actor transport,
                           std::string remote, pb::JoinRequest jr);

} // namespace actorswarm::node
