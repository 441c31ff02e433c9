#pragma once

// The agent gate lets agents on other nodes (workers) use this manager's
// dispatcher over the cluster port. For each remote node it keeps a proxy
// actor that stands in for the agent: the dispatcher sends it assignments as
// to any agent, and the proxy passes them on to the worker (the transport's
// ASSIGN request to the worker's address). If the worker cannot be reached
// the proxy stops, and the dispatcher treats the agent as gone.
//
// Receives: (rpc_atom, int32_t kind, string payload) -> string, from the
//           transport: SESSION (SessionRequest -> SessionReply with the
//           managers' addresses), HEARTBEAT (Heartbeat -> ""), STATUS
//           (StatusBatch -> "").
// Sends:    the dispatcher's messages (session_atom, heartbeat_atom,
//           status_atom); (cluster_call_atom, addr, ASSIGN, Assignments) to
//           the transport.

#include "caf/fwd.hpp"

namespace actorswarm::dispatcher {

/// Spawns the gate for `dispatcher`; `store` answers raft_status_atom (the
/// managers' addresses); `transport` carries assignments to workers.
caf::actor spawn_agent_gate(caf::actor_system& sys, caf::actor dispatcher,
                            caf::actor transport, caf::actor store);

} // namespace actorswarm::dispatcher
