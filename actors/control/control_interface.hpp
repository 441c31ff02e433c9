#pragma once

// The control actor's protocol (DESIGN.md, Control channel): the typed
// handle the control socket server, the embedding API (node_handle::control)
// and the node actor use. The control actor keeps a read view of the store
// and turns requests into store proposals by the rules of actors/control/
// (control_logic.hpp); membership requests it hands to the node actor.

#include <string>

#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/object_store.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/control.pb.h"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, control_atom, "control")
CAF_ADD_ATOM(actorswarm, actorswarm, manager_atom, "manager")

namespace actorswarm::control {

/// Who answers control requests: the control actor, and the node
/// supervisor, to which the control actor hands membership requests (swarm
/// init|join|leave, join-token, node promote|demote|rm, info).
using requests_actor_type = caf::typed_actor<
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>>;

/// The control actor.
using control_actor_type = caf::typed_actor<
  /// A CLI request, from the control socket server (one per CLI call) or an
  /// embedder. Answered with the ControlReply; errors travel inside it (code
  /// + one-line message, never a caf::error). Before the node is a manager,
  /// every request but membership ones answers "not a swarm manager".
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>,
  /// From the node actor: this node now runs the manager components, `store`
  /// is its store actor and the string its node id (the control actor
  /// subscribes to the store); a null store: the node left its swarm or was
  /// demoted (not a manager any more).
  caf::reacts_to<manager_atom, store::store_actor_type, std::string>,
  /// From the store, once subscribed: the changes of one applied batch, in
  /// log order, applied to the read view.
  caf::reacts_to<events_atom, store::change_set_ptr>>;

} // namespace actorswarm::control
