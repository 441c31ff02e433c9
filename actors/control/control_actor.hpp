#pragma once

// The control actor serves the CLI (DESIGN.md, Control channel). It keeps a
// read view of the store (subscribed, so reads never wait on the store actor)
// and turns write requests into proposals. Swarm membership requests (init,
// join, leave, join-token) go to the node actor, which owns identity and
// starts the manager components; once they run, the node actor hands the
// store to this actor with (manager_atom, store, node_id).
//
// Receives: (control_atom, ControlRequest) -> ControlReply (errors inside the
//           reply: code + one-line message, never a caf::error)
//           (manager_atom, actor store, std::string node_id); a null
//           store: the node left its swarm (not a manager any more)
//           (events_atom, change_set_ptr) from the store
// Fails:    never on bad input; an unknown request kind is a bad_request.

#include "caf/fwd.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::control {

/// Spawns the control actor; `node` handles membership requests.
caf::actor spawn_control(caf::actor_system& sys, caf::actor node,
                         node::clock& clk);

} // namespace actorswarm::control
