#pragma once

// The allocator actor's protocol (actors/allocator/allocator_actor.hpp): a
// store subscriber, nothing more; it proposes network allocations, new
// tasks' move to pending and nodes' ingress addresses.

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::allocator {

/// The allocator actor.
using allocator_actor_type = caf::typed_actor<
  /// The changes of one applied entry, in log order. From the store.
  caf::reacts_to<events_atom, store::change_set_ptr>>;

} // namespace actorswarm::allocator
