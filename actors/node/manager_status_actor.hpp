#pragma once

// The manager status publisher runs on the Raft leader, beside the
// allocator, scheduler and orchestrator (the node supervisor starts and
// stops them together). Every manager_status_period_ms it stores the
// managers' leader flag and reachability where they changed (SwarmKit's
// leader does the same), so every manager shows the leader's view, and
// marks a manager Down whose Raft links stayed down for three heartbeat
// periods (manager_status_updates, membership.hpp).
//
// Protocol: manager_status_interface.hpp.
// Sends:    (raft_status_atom), (view_atom) and (propose_atom, StoreBatch) to
//           the store.

#include <cstdint>

#include "caf/fwd.hpp"

#include "actors/node/manager_status_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::node {

class clock;

/// Pause between the end of one round and the next.
constexpr int64_t manager_status_period_ms
  = cluster_defaults::manager_status_period_ms;

/// Spawns the publisher linked to `parent`; its first round runs at once.
///
manager_status_actor_type spawn_manager_status(caf::local_actor* parent,
                                               store::store_actor_type store,
                                               clock& clk);

} // namespace actorswarm::node
