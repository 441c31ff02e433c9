#pragma once

// The protocol of a join (join_actor.hpp): the joining side of one `swarm
// join` or promotion, spawned for it by the membership actor.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "messages/cluster.pb.h"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, node_join_atom, "nodejoin")
CAF_ADD_ATOM(actorswarm, actorswarm, join_retry_atom, "joinretry")
CAF_ADD_ATOM(actorswarm, actorswarm, catch_up_atom, "catchup")
CAF_ADD_ATOM(actorswarm, actorswarm, catch_up_poll_atom, "catchpoll")

namespace actorswarm::node {

using join_actor_type = caf::typed_actor<
  /// From the membership actor, first: send the JoinRequest to the manager
  /// (again while the swarm has no leader, membership_steps.hpp). Answers
  /// the manager's JoinReply; code != 0 when it refused the join, answered
  /// nothing readable (internal) or could not be reached (unavailable).
  /// After a refusal the join actor is gone.
  caf::replies_to<node_join_atom>::with<pb::JoinReply>,
  /// Internal: send the JoinRequest again.
  caf::reacts_to<join_retry_atom>,
  /// From the membership actor, once the joined node started its
  /// components: answers true once the new manager's store (null for a
  /// worker: at once) has caught up with the leader, false when it gave up
  /// waiting. Then the join actor is gone.
  /// TODO(i7-merge): the store's typed handle.
  caf::replies_to<catch_up_atom, caf::actor>::with<bool>,
  /// Internal: read again.
  caf::reacts_to<catch_up_poll_atom>>;

} // namespace actorswarm::node
