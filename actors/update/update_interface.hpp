#pragma once

// The update actor's protocol (update_actor.hpp): a store subscriber plus
// its own timer for update delays, monitor periods and old-task timeouts.

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, update_wakeup_atom, "updwakeup")

namespace actorswarm::update {

/// The update actor.
using update_actor_type = caf::typed_actor<
  /// The changes of one applied entry, in log order. From the store.
  caf::reacts_to<events_atom, store::change_set_ptr>,
  /// Internal: the earliest delay, monitor end or old-task timeout of some
  /// service fell due; step the services whose time has come.
  caf::reacts_to<update_wakeup_atom>>;

} // namespace actorswarm::update
