#pragma once

// The agent server's protocol (agent_server_actor.hpp): on a manager, remote
// agents' requests arrive from the cluster transport and go on to the
// dispatcher; one agent proxy per remote node stands in for its agent and
// passes the dispatcher's assignments on to the worker.

#include <cstdint>
#include <string>

#include "actors/dispatcher/dispatcher_interface.hpp"
#include "net/cluster_transport_interface.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, assign_retry_atom, "asgnretry")

namespace actorswarm::dispatcher {

/// The agent server.
using agent_server_actor_type = caf::typed_actor<
  /// A remote agent's request (int32_t pb::Envelope kind, serialized
  /// payload), from the cluster transport: SESSION (SessionRequest; replies
  /// a SessionReply with the managers' addresses), HEARTBEAT (Heartbeat) and
  /// STATUS (StatusBatch), both replying "". A malformed payload, another
  /// kind, or a heartbeat without a session here is refused with an error;
  /// so is a request naming another node than the sender (its verified CN).
  caf::replies_to<rpc_atom, int32_t, std::string,
                  std::string>::with<std::string>>;

/// A remote agent's stand-in: the dispatcher's assignee for that node.
using agent_proxy_actor_type = assignee_actor_type::extend<
  /// internal: (serialized Assignments, attempt) delivers again after a
  /// failed attempt; after the last one the proxy quits.
  caf::reacts_to<assign_retry_atom, std::string, int32_t>>;

} // namespace actorswarm::dispatcher
