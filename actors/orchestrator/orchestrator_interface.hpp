#pragma once

// The orchestrator actor's protocol (orchestrator_actor.hpp): a store
// subscriber plus its own restart-delay timer.

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, orchestrator_wakeup_atom, "orchwakeup")

namespace actorswarm::orchestrator {

/// The orchestrator actor.
using orchestrator_actor_type = caf::typed_actor<
  /// The changes of one applied entry, in log order. From the store.
  caf::reacts_to<events_atom, store::change_set_ptr>,
  /// Internal: the earliest restart delay or reap time fell due; reconcile
  /// the services whose timers are due.
  caf::reacts_to<orchestrator_wakeup_atom>>;

} // namespace actorswarm::orchestrator
