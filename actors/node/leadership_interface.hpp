#pragma once

// The protocol of the leadership actor (leadership_actor.hpp), which runs
// the leader's components on every manager.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/raft/apply_batch.hpp"
#include "actors/raft/raft_interface.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::node {

using leadership_actor_type = caf::typed_actor<
  /// From the store (the leadership actor watches it): the raft peer's view,
  /// at once and after every leader or role change. Becoming leader starts
  /// the allocator, scheduler, orchestrator and manager status publisher;
  /// stepping down stops them.
  caf::reacts_to<leader_atom, raft::raft_status_ptr>>;

} // namespace actorswarm::node
