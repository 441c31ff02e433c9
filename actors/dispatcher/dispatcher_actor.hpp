#pragma once

// The dispatcher (leader only) holds one session per agent: it registers the
// node (status READY), sends the node its assignments (the tasks placed on it,
// as a full set on session start and as changes after every commit), takes
// batched status reports and proposes them as one store batch (only forward
// moves), and marks a node DOWN when its heartbeats stop.
//
// Receives: (session_atom, SessionRequest, actor agent) -> SessionReply
//           (heartbeat_atom, Heartbeat)
//           (status_atom, StatusBatch)
// Sends:    (assign_atom, Assignments) to agents.

#include <cstdint>

#include "caf/fwd.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::dispatcher {

struct dispatcher_config {
  int64_t heartbeat_period_ms = 5000;
  uint32_t heartbeat_misses_max = 3;  // then the node is DOWN
};

caf::actor spawn_dispatcher(caf::actor_system& sys, caf::actor store,
                            node::clock& clk, dispatcher_config cfg = {});

} // namespace actorswarm::dispatcher
