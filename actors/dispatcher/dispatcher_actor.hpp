#pragma once

// The dispatcher (leader only) holds one session per agent: it registers the
// node (status READY), sends the node its assignments (the tasks placed on it,
// as a full set on session start and as changes after every commit), takes
// batched status reports and proposes them as one store batch (only forward
// moves), and marks a node DOWN when its heartbeats stop.
//
// Protocol: dispatcher_interface.hpp. Sends (assign_atom, Assignments) to
// each session's assignee; proposes status and node updates to the store.

#include <cstdint>

#include "caf/fwd.hpp"

#include "actors/dispatcher/dispatcher_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::dispatcher {

struct dispatcher_config {
  int64_t heartbeat_period_ms
    = cluster_defaults::dispatcher_heartbeat_period_ms;
  /// Missed periods after which the node is DOWN.
  uint32_t heartbeat_misses_max = cluster_defaults::heartbeat_misses_max;
};

/// Spawns the dispatcher over `store` (the store actor: subscribe, propose,
/// read).
dispatcher_actor_type spawn_dispatcher(caf::actor_system& sys,
                                       store::store_actor_type store,
                                       node::clock& clk,
                                       dispatcher_config cfg = {});

} // namespace actorswarm::dispatcher
