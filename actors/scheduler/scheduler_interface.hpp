#pragma once

// The scheduler actor's protocol (actors/scheduler/scheduler_actor.hpp): a
// store subscriber, nothing more; it proposes assignments to the store.

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::scheduler {

/// The scheduler actor.
using scheduler_actor_type = caf::typed_actor<
  /// The changes of one applied entry, in log order. From the store.
  caf::reacts_to<events_atom, store::change_set_ptr>>;

} // namespace actorswarm::scheduler
