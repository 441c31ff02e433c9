#pragma once

// The dispatcher proxy's protocol (dispatcher_proxy_actor.hpp): on a worker
// it hosts the agent's session as a local dispatcher would and carries it to
// a manager's agent server over the cluster transport.

#include <cstdint>
#include <string>

#include "actors/dispatcher/dispatcher_interface.hpp"
#include "net/cluster_transport_interface.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, manager_retry_atom, "mgrretry")

namespace actorswarm::dispatcher {

/// The dispatcher proxy: the agent's session host on a worker.
using dispatcher_proxy_actor_type = session_host_actor_type::extend<
  /// A manager's request (int32_t pb::Envelope kind, serialized payload),
  /// from the cluster transport: ASSIGN (Assignments of the session held)
  /// replies ""; anything else is refused with an error.
  caf::replies_to<rpc_atom, int32_t, std::string,
                  std::string>::with<std::string>,
  /// internal: opens a session with the next manager after a failure.
  caf::reacts_to<manager_retry_atom>>;

} // namespace actorswarm::dispatcher
