#pragma once

// The protocol of a join (join_actor.hpp): the joining side of one `swarm
// join` or promotion, spawned for it by the membership actor.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/node/membership_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, node_join_atom, "nodejoin")
CAF_ADD_ATOM(actorswarm, actorswarm, join_retry_atom, "joinretry")
CAF_ADD_ATOM(actorswarm, actorswarm, catch_up_poll_atom, "catchpoll")

namespace actorswarm::node {

using join_actor_type = caf::typed_actor<
  /// From the membership actor: join. Opens the cluster port, sends the
  /// JoinRequest (again while the swarm has no leader), has the membership
  /// actor record the swarm and start the components (join_adopt_atom) and
  /// waits until a new manager caught up with the leader. Answers what
  /// `swarm join` prints: the node's info, with a warning when it did not
  /// catch up in time; or why it could not join (code != 0: refused by the
  /// manager, no readable answer, or unreachable), then nothing was
  /// recorded. Then the join actor is gone.
  caf::replies_to<node_join_atom>::with<pb::ControlReply>,
  /// Internal: send the JoinRequest again.
  caf::reacts_to<join_retry_atom>,
  /// Internal: read again whether the new manager caught up.
  caf::reacts_to<catch_up_poll_atom>>;

/// What a join needs of the node supervisor: the cluster port.
///
using join_port_type = caf::typed_actor<caf::replies_to<
  transport_open_atom>::with<net::cluster_transport_actor_type>>;

/// What a join needs of the membership actor: record the admitted join.
using join_recorder_type = caf::typed_actor<
  caf::replies_to<join_adopt_atom, pb::JoinReply, std::string>::with<
    pb::ControlReply, store::store_actor_type>>;

} // namespace actorswarm::node
