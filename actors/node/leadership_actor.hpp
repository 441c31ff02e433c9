#pragma once

// The leadership actor runs beside a manager's store and starts the
// leader's components when this manager becomes Raft leader: allocator,
// scheduler, orchestrator, the update actor (actors/update/update_actor.hpp),
// the CA (actors/ca/ca_actor.hpp) and the manager status publisher
// (manager_status_actor.hpp). It stops them when the manager steps down
// (SwarmKit's leadership-driven managers): a follower runs none. Stopped
// itself (an exit message of reason user_shutdown), it stops them and goes
// down once they are all down; if one of them dies, it dies with it.
//
// Protocol: leadership_interface.hpp.
// Sends:    (watch_atom, self) to the store.

#include "caf/fwd.hpp"

#include "actors/node/leadership_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "net/cluster_transport_interface.hpp"

namespace actorswarm::node {

class clock;

/// Spawns the leadership actor of `store` linked to `parent`; the CA sends
/// new certificates through `transport` (may be null: none are sent).
leadership_actor_type
spawn_leadership(caf::local_actor* parent, store::store_actor_type store,
                 net::cluster_transport_actor_type transport, clock& clk);

} // namespace actorswarm::node
