#pragma once

// The protocol of the membership actor (membership_actor.hpp): this node's
// own place in a swarm. It owns the node's identity (node_state in the data
// dir) and runs each multi-step change of it as an actor of its own
// (join_actor, leave_actor, recover_actor, role_switch_actor, token_actor).

#include <cstdint>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/control/control_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/cluster.pb.h"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, node_components_atom, "nodecomps")
CAF_ADD_ATOM(actorswarm, actorswarm, join_adopt_atom, "joinadopt")
CAF_ADD_ATOM(actorswarm, actorswarm, node_demoted_atom, "nodedemote")
CAF_ADD_ATOM(actorswarm, actorswarm, node_founded_atom, "nodefound")

namespace actorswarm::node {

using membership_actor_type = caf::typed_actor<
  /// From the node supervisor (for the control actor): info, swarm init
  /// (also --force-new-cluster), join-token, swarm join, swarm leave.
  /// Refusals are replies with a code and Docker's text.
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>,
  /// From the transport: ROLE (the leader changed this node's role; a
  /// RoleChange, answered with a serialized ControlReply). A demoted
  /// manager continues as a worker; a promoted worker joins as a manager.
  caf::replies_to<rpc_atom, int32_t, std::string,
                  std::string>::with<std::string>,
  /// From a join (join_actor): the manager admitted this node with this
  /// JoinReply, at this address. Records the swarm, starts the components,
  /// then answers `swarm join`'s reply (the node's info) and the new store
  /// (null on a worker).
  caf::replies_to<join_adopt_atom, pb::JoinReply,
                  std::string>::with<pb::ControlReply, store::store_actor_type>,
  /// From a role switch (role_switch_actor) with the components stopped:
  /// the leader demoted this manager. It forgets its Raft state and
  /// continues as a worker of these managers; answers true once recorded.
  caf::replies_to<node_demoted_atom, std::vector<std::string>>::with<bool>,
  /// From a recovery (recover_actor) with the components stopped: the Raft
  /// state now holds a group of this manager alone. It is the group's
  /// founder from now on (a restart does not wait for a leader's log);
  /// answers true once recorded.
  caf::replies_to<node_founded_atom>::with<bool>,
  /// From the node supervisor whenever they change: the store (null while
  /// no manager components run) and the transport (null until the cluster
  /// port opens).
  caf::reacts_to<node_components_atom, store::store_actor_type,
                 net::cluster_transport_actor_type>>;

} // namespace actorswarm::node
