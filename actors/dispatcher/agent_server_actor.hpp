#pragma once

// The agent server lets agents on other nodes (workers) use this manager's
// dispatcher over the cluster port. For each remote node it keeps an agent
// proxy that stands in for the agent: the dispatcher sends it assignments as
// to any agent, and the proxy passes them on to the worker (the transport's
// ASSIGN request to the worker's address). If the worker cannot be reached
// the proxy stops, and the dispatcher treats the agent as gone.
//
// Protocol: agent_server_interface.hpp. Sends the session protocol to the
// dispatcher, (raft_status_atom) -> raft status to the store (the managers'
// addresses for a session reply), and (cluster_call_atom, addr, ASSIGN,
// Assignments)
// to the transport.

#include "caf/fwd.hpp"

#include "actors/dispatcher/agent_server_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "net/cluster_transport_interface.hpp"

namespace actorswarm::dispatcher {

/// Spawns the agent server for `dispatcher`; `store` answers raft_status_atom
/// (the managers' addresses); `transport` carries assignments to workers.
agent_server_actor_type
spawn_agent_server(caf::actor_system& sys, session_host_actor_type dispatcher,
                   net::cluster_transport_actor_type transport,
                   store::store_actor_type store);

} // namespace actorswarm::dispatcher
