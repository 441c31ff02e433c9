#pragma once

// The log broker's protocol (log_broker_actor.hpp): `service logs` across
// nodes (issue #11). On a manager the control socket server asks it for one
// fetch round at a time (every node at once, each with a deadline); on every
// node it answers the managers' LOGS requests from this node's task logs
// (log_reader.hpp). Payloads are serialized messages of messages/logs.proto,
// as on the cluster transport.

#include <cstdint>
#include <string>

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "net/cluster_transport_interface.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, logs_fetch_atom, "logsfetch")
CAF_ADD_ATOM(actorswarm, actorswarm, logs_node_atom, "logsnode")

namespace actorswarm::logs {

/// What the broker needs of the cluster transport: a request on the node
/// at an address (a subset of net::cluster_transport_actor_type).
using node_caller_actor_type
  = caf::typed_actor<caf::replies_to<cluster_call_atom, std::string, int32_t,
                                     std::string>::with<std::string>>;

/// The log broker of a node.
using log_broker_actor_type = caf::typed_actor<
  /// A fetch round (serialized LogsFetch), from the control socket server:
  /// asks every node listed at once, this node's own reader directly, the
  /// others over the transport (LOGS), each within the node deadline.
  /// Answers a serialized LogsFetchReply with one result per node, in the
  /// order asked: a node that fails or misses its deadline is `ok = false`
  /// with the reason. A malformed payload is refused with bad_request.
  caf::replies_to<logs_fetch_atom, std::string>::with<std::string>,
  /// From the node actor whenever its components start: this node's id and
  /// the transport to reach the others (null: none, only local reads).
  caf::reacts_to<logs_node_atom, std::string, node_caller_actor_type>,
  /// A manager's LOGS request (int32_t pb::Envelope kind, sender node id,
  /// serialized NodeLogsRequest), from the transport: answered with a
  /// serialized NodeLogsReply from this node's task logs; another kind or a
  /// malformed payload is refused with bad_request.
  caf::replies_to<rpc_atom, int32_t, std::string,
                  std::string>::with<std::string>>;

} // namespace actorswarm::logs
