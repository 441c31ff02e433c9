#pragma once

// The swarm admin actor is a manager's side of the other nodes' membership:
// it admits joining nodes (JOIN, one admission_actor each) and runs node
// promote|demote|rm, from the CLI or forwarded by another manager to this
// leader (CONTROL), one role_change_actor each. It works while this node's
// store runs (a manager); without one it answers Docker's "not a swarm
// manager". This node's own membership is the membership actor's.
//
// Protocol: swarm_admin_interface.hpp.

#include <string>

#include "caf/fwd.hpp"

#include "actors/node/swarm_admin_interface.hpp"

namespace actorswarm::node {

class clock;

/// Spawns the swarm admin actor of node `node_id` linked to `parent`.
swarm_admin_actor_type spawn_swarm_admin(caf::local_actor* parent,
                                         std::string node_id, clock& clk);

} // namespace actorswarm::node
