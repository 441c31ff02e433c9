#pragma once

// The dispatcher proxy stands in for the dispatcher on a worker: the agent
// talks to it as to a local dispatcher, and it carries the session,
// heartbeats and status reports to a manager's agent server over the cluster
// port (agent_server_actor.hpp); the manager's assignments come back as
// ASSIGN requests that it hands to the agent. When the manager cannot be
// reached it opens a new session with the next manager it knows (the list
// comes with every session reply) and keeps presenting the agent's first
// session id, so the agent and its tasks carry on unchanged.
//
// Protocol: dispatcher_proxy_interface.hpp. Sends (cluster_call_atom, addr,
// SESSION|HEARTBEAT|STATUS, payload) to the transport and (assign_atom,
// Assignments) to the agent.

#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/dispatcher/dispatcher_proxy_interface.hpp"
#include "net/cluster_transport_interface.hpp"

namespace actorswarm::dispatcher {

/// Spawns the dispatcher proxy; `managers` are cluster addresses host:port.
dispatcher_proxy_actor_type
spawn_dispatcher_proxy(caf::actor_system& sys,
                       net::cluster_transport_actor_type transport,
                       std::vector<std::string> managers);

} // namespace actorswarm::dispatcher
