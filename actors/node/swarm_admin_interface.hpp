#pragma once

// The protocol of the swarm admin actor (swarm_admin_actor.hpp): a
// manager's side of the other nodes' membership.

#include <cstdint>
#include <string>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/control/control_interface.hpp"
#include "actors/node/membership_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::node {

using swarm_admin_actor_type = caf::typed_actor<
  /// From the node supervisor (for the control actor): node promote, node
  /// demote or node rm, run on the leader (role_change_actor). Refusals are
  /// replies with a code and Docker's text.
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>,
  /// From the transport, a request of another node (an Envelope kind and
  /// its payload): JOIN (a JoinRequest; answers a JoinReply, admission_actor)
  /// or CONTROL (a promote|demote|rm another manager forwarded to this
  /// leader; answers a ControlReply).
  caf::replies_to<rpc_atom, int32_t, std::string,
                  std::string>::with<std::string>,
  /// From the node supervisor whenever they change: the store (null while
  /// no manager components run) and the transport.
  ///
  caf::reacts_to<node_components_atom, store::store_actor_type,
                 net::cluster_transport_actor_type>>;

} // namespace actorswarm::node
