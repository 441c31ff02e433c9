#pragma once

// The node actor is the root of a host's supervision tree (DESIGN.md). It
// owns the node's identity (node id, hostname, cluster membership, kept in
// the data dir's node_state), answers membership requests (info, swarm init,
// join-token, leave, promote/demote, node rm) and starts the components:
// on a manager the store, allocator, scheduler, orchestrator and dispatcher;
// on every node the agent. If a component dies, the node actor stops the
// daemon (fail-stop: the restart re-reads durable state).
//
// Receives: (control_atom, ControlRequest) -> ControlReply, from the control
//           actor, for membership requests.
//           (subscribe_atom, actor) -> store_view_ptr, then the store's
//           events (delegated to the store); not_in_swarm before init.
// Sends:    (manager_atom, store, node_id) to the control actor once the
//           manager components run.

#include <functional>
#include <string>

#include "caf/fwd.hpp"

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::node {

class clock;

/// Static configuration of one node.
struct node_config {
  std::string listen_addr = "0.0.0.0:2377";  // default for swarm init/join
  std::string hostname;                     // empty: gethostname()
  std::string tasks_dir;                    // empty: <data dir>/tasks
  std::string cgroup_root = "actorswarm";   // relative to each hierarchy
  uint64_t snapshot_interval = 10000;
  uint64_t tick_ms = 100;                   // Raft tick length (--tick-ms)
  std::function<void()> on_fatal;           // called when a component dies
};

/// Spawns the node actor and its control actor. Returns {node, control}.
std::pair<caf::actor, caf::actor>
spawn_node(caf::actor_system& sys, persistence::data_dir& dir,
           node_config cfg, clock& clk);

} // namespace actorswarm::node
