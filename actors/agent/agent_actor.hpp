#pragma once

// The agent runs on every node: it opens a session with the dispatcher,
// receives the node's assignments, spawns one task actor per task, records
// every process it starts in the task record store (synced, batched) before
// the process may exec, batches status reports back, and on start adopts the
// processes a previous daemon left running (pid + start time).
//
// Protocol: agent_interface.hpp. It calls its session host (the dispatcher,
// or the dispatcher proxy on a worker) and its task actors.

#include <string>

#include "caf/fwd.hpp"

#include "actors/agent/agent_interface.hpp"
#include "actors/network/network_interface.hpp"

namespace actorswarm::persistence {
class task_record_store;
} // namespace actorswarm::persistence

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::agent {

struct agent_config {
  std::string node_id;
  std::string hostname;
  std::string addr;
  std::string tasks_dir;   // per-task log dirs
  std::string cgroup_root; // cgroup subtree name for task limits
  /// The node's network actor: gets the assignments first, and the task
  /// actors ask it for their namespaces. Null: tasks on networks run in the
  /// daemon's namespace.
  network::network_actor_type network;
  /// The daemon's data dir: named volumes live in `<data_dir>/volumes`, and
  /// no --mount target may be in it. Empty: named volumes are refused.
  std::string data_dir;
};

/// Spawns the agent; it opens its session with `dispatcher` at once.
agent_actor_type spawn_agent(caf::actor_system& sys,
                             dispatcher::session_host_actor_type dispatcher,
                             persistence::task_record_store& records,
                             agent_config cfg, node::clock& clk);

} // namespace actorswarm::agent
