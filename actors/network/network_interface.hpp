#pragma once

// The network actor's protocol (network_actor.hpp): the agent hands it the
// node's assignments; task actors ask it to prepare a task's network
// namespace before the process starts and to release it after it exited.

#include <string>

#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, net_assign_atom, "netassign")
CAF_ADD_ATOM(actorswarm, actorswarm, net_prepare_atom, "netprep")
CAF_ADD_ATOM(actorswarm, actorswarm, net_release_atom, "netrelease")
CAF_ADD_ATOM(actorswarm, actorswarm, net_refresh_atom, "netrefresh")

namespace actorswarm::network {

/// The node's data plane (one per node).
using network_actor_type = caf::typed_actor<
  /// The node's assignments as the agent got them; only the network part
  /// (networks_set) matters. From the agent; no reply.
  caf::reacts_to<net_assign_atom, pb::Assignments>,
  /// Sets up the task's namespace on its networks (Task.networks): legs,
  /// addresses, routes, VIP rules. Replies the namespace's path, to start
  /// the process in, or an error (the task then fails).
  caf::replies_to<net_prepare_atom, pb::Task>::with<std::string>,
  /// (task id): removes the task's namespace; its process has exited. No
  /// reply.
  caf::reacts_to<net_release_atom, std::string>,
  /// Its own timer while the node has a routing mesh: applies the mesh's
  /// rules again (a host firewall reload drops our FORWARD accept rule).
  caf::reacts_to<net_refresh_atom>>;

} // namespace actorswarm::network
