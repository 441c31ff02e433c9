#pragma once

// The CA actor's protocol (ca_actor.hpp): a store subscriber on the leader
// plus its own timer.

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, ca_check_atom, "cacheck")

namespace actorswarm::ca {

/// The CA actor (leader only): keeps every node's certificate current
/// (renewal before expiry, role, `--cert-expiry`) and runs root rotations
/// (`swarm ca --rotate`), pushing certificates to nodes with CERT.
using ca_actor_type = caf::typed_actor<
  /// The changes of one applied entry, in log order. From the store.
  caf::reacts_to<events_atom, store::change_set_ptr>,
  /// Internal: look again (a certificate may have become due, a failed
  /// push may be retried).
  caf::reacts_to<ca_check_atom>>;

} // namespace actorswarm::ca
