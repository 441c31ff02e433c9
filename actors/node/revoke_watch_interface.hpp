#pragma once

// The protocol of a manager's revocation watch (revoke_watch_actor.hpp): a
// store subscriber, nothing more.

#include "actors/store/store_interface.hpp"

namespace actorswarm::node {

/// Takes the store's change sets (events_atom) like any subscriber.
using revoke_watch_actor_type = store::subscriber_actor_type;

} // namespace actorswarm::node
