#pragma once

// The log broker (issue #11, after SwarmKit's manager/logbroker): one per
// node, spawned by the daemon before the node actor. Owns a detached reader
// actor that answers LOGS requests from this node's task logs (blocking
// file reads stay off the shared scheduler threads). On a manager it also
// fans one fetch round of `service logs` out to the nodes (log_session.hpp
// decides what to ask) and gathers their answers, each node bounded by the
// deadline; it keeps no per-call state beyond a round, so a CLI that goes
// away leaves nothing here or on the nodes.
//
// Receives: log_broker_actor_type (log_broker_interface.hpp).
// Sends:    (cluster_call_atom, addr, LOGS, NodeLogsRequest) to the
//           transport; (rpc_atom, LOGS, ...) to its reader.
// Fails:    never on bad input (refused with an error); the reader dies
//           with it (linked).

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"

#include "actors/logs/log_broker_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::logs {

/// Tunables of the broker.
struct log_broker_config {
  /// The agent's directory of task directories (<data dir>/tasks).
  std::string tasks_dir;
  /// A node that has not answered a round's request by then is reported
  /// failed for that round.
  uint64_t node_deadline_ms = 5000;
  /// The reader runs on a thread of its own (its file reads block); tests
  /// under the test coordinator keep it on the scheduler.
  bool detached_reader = true;
};

/// Spawns the broker and its reader; `clk` dates lines the log index does
/// not cover and must outlive them.
log_broker_actor_type spawn_log_broker(caf::actor_system& sys,
                                       log_broker_config cfg, node::clock& clk);

} // namespace actorswarm::logs
