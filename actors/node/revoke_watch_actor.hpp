#pragma once

// A manager's revocation watch (issue #8, `node rm` revokes): follows the
// store's Cluster.removed_nodes and tells the cluster transport, whose wire
// then refuses certificates naming those node ids and closes their open
// connections. Every manager runs one, so a removed node is refused by all
// of them, also after a restart (the list is in the replicated store).
//
// Protocol: revoke_watch_interface.hpp.
// Sends:    (subscribe_atom) to the store; (cluster_revoke_atom, ids) to the
//           transport, at start and whenever the list changes.
// Lifetime: linked to the store: it ends with it.

#include "caf/fwd.hpp"

#include "actors/node/revoke_watch_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "net/cluster_transport_interface.hpp"

namespace actorswarm::node {

revoke_watch_actor_type
spawn_revoke_watch(caf::actor_system& sys, store::store_actor_type store,
                   net::cluster_transport_actor_type transport);

} // namespace actorswarm::node
