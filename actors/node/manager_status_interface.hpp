#pragma once

// The protocol of the manager status publisher (manager_status_actor.hpp),
// which runs on the Raft leader only.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, status_publish_atom, "mgrstatus")

namespace actorswarm::node {

using manager_status_actor_type = caf::typed_actor<
  /// Internal: the next round (at spawn, then manager_status_period_ms after
  /// each round): store the managers' leader flag and reachability where
  /// they differ from the raft peer's view. A round that finds this manager
  /// no longer leading arms no next one.
  caf::reacts_to<status_publish_atom>>;

} // namespace actorswarm::node
