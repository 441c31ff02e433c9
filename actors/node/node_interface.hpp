#pragma once

// The protocol of the node supervisor (node_actor.hpp): the root of a
// host's actors. It starts and stops the components by role and hands
// membership requests to its membership actor (membership_interface.hpp),
// which tells it when to start or stop them, or to its swarm admin
// (swarm_admin_interface.hpp).

#include <string>

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/control/control_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, node_init_atom, "nodeinit")
CAF_ADD_ATOM(actorswarm, actorswarm, components_start_atom, "compstart")
CAF_ADD_ATOM(actorswarm, actorswarm, components_stop_atom, "compstop")
CAF_ADD_ATOM(actorswarm, actorswarm, transport_open_atom, "transopen")

namespace actorswarm::node {

using node_actor_type = caf::typed_actor<
  /// From spawn_node, once, first: the control actor, which the node tells
  /// (manager_atom, store, node_id) whenever the store starts or stops. A
  /// node already in a swarm then starts its components.
  ///
  caf::reacts_to<node_init_atom, control::control_actor_type>,
  /// From the control actor: a membership request, handed to the actor that
  /// answers it: info, swarm init, join, leave and join-token to the
  /// membership actor, node promote|demote|rm to the swarm admin. Refusals
  /// are replies with a code, never errors.
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>,
  /// From embedders (watch_tasks): subscribes the actor to the store, which
  /// answers with its view and then sends it every change set; not_in_swarm
  /// while no store runs.
  caf::replies_to<subscribe_atom,
                  store::subscriber_actor_type>::with<store_view_ptr>,
  /// From the membership actor: start the components of the role that the
  /// identity saved in the data dir names (a manager's store, raft peer,
  /// dispatcher, agent gate, agent and leadership actor; a worker's
  /// dispatcher link and agent). Answers true once they are spawned; the
  /// membership actor has then been told the new store (node_components_atom).
  caf::replies_to<components_start_atom>::with<bool>,
  /// From the membership actor: stop every component (the raft peer with
  /// its store; task processes keep running). Answers true once all are
  /// down; the control actor and the membership actor have then been told
  /// that no store runs.
  caf::replies_to<components_stop_atom>::with<bool>,
  /// From the membership actor: open the cluster port, once per process
  /// (the transport outlives leaves and serves the next swarm). Answers
  /// the transport; null without CAF's middleman.
  ///
  caf::replies_to<transport_open_atom>::with<
    net::cluster_transport_actor_type>>;

} // namespace actorswarm::node
