#pragma once

// The protocol of the membership actor (membership_actor.hpp): this node's
// place in a swarm. It owns the node's identity (node_state in the data
// dir), serves the membership requests of the CLI and of other managers,
// and runs each multi-step change as an actor of its own (join_actor,
// admission_actor, role_change_actor, leave_actor, recover_actor).

#include <cstdint>
#include <string>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, node_components_atom, "nodecomps")

namespace actorswarm::node {

using membership_actor_type = caf::typed_actor<
  /// From the node supervisor (for the control actor): info, swarm init
  /// (also --force-new-cluster), join-token, swarm join, swarm leave, node
  /// promote|demote|rm. Refusals are replies with a code and Docker's text.
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>,
  /// From the transport, a request of another node (an Envelope kind and
  /// its payload): JOIN (a JoinRequest; answers a JoinReply), CONTROL (a
  /// promote|demote|rm another manager forwarded to this leader; answers a
  /// ControlReply) or ROLE (the leader changed this node's role; answers a
  /// ControlReply).
  caf::replies_to<rpc_atom, int32_t, std::string>::with<std::string>,
  /// From the node supervisor whenever they change: the store (null while
  /// no manager components run) and the transport (null until the cluster
  /// port opens). TODO(i7-merge): the store's and transport's typed handles.
  caf::reacts_to<node_components_atom, caf::actor, caf::actor>>;

} // namespace actorswarm::node
