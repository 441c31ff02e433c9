#pragma once

// The node supervisor is the root of a host's supervision tree (DESIGN.md).
// It owns the node's static configuration and starts the components by
// role: on a manager the store (with its raft peer), transport, dispatcher,
// agent gate, agent and the leadership actor (leadership_actor.hpp), which
// runs the leader's components while this manager leads; on a worker the
// transport, dispatcher link and agent. Its children: the membership actor
// (membership_actor.hpp) owns the node's identity and tells it when to
// start or stop the components; the swarm admin (swarm_admin_actor.hpp)
// serves the manager side of other nodes' membership. Membership requests
// of the control actor go to one of the two. If a component dies, the node
// stops the daemon (fail-stop: the restart re-reads durable state).
//
// Protocol: node_interface.hpp.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/control/control_interface.hpp"
#include "actors/logs/log_broker_interface.hpp"
#include "actors/node/node_interface.hpp"
#include "messages/defaults.hpp"
#include "net/tls_wire.hpp"

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::node {

class clock;

/// Static configuration of one node.
struct node_config {
  std::string listen_addr = "0.0.0.0:2377"; // default for swarm init/join
  std::string hostname;                     // empty: gethostname()
  std::string tasks_dir;                    // empty: <data dir>/tasks
  std::string cgroup_root = "actorswarm";   // relative to each hierarchy
  uint64_t snapshot_interval = cluster_defaults::snapshot_interval_entries;
  uint64_t tick_ms = cluster_defaults::raft_tick_ms; // --tick-ms
  std::function<void()> on_fatal; // called when a component dies
  /// Whether this node has a cluster port (mutual TLS, net/tls_wire.hpp):
  /// the daemon's do; an embedded node without one stays alone.
  bool cluster_port = true;
  /// What unauthenticated peers may cost on the cluster port
  /// (--handshake-timeout, --max-unauthenticated).
  net::wire_limits wire;
  /// The tasks' gateway subnet (--gateway-subnet); empty: the default.
  std::string gateway_subnet;
  /// The embedded DNS's upstream resolvers (--dns-upstream); empty: those
  /// of /etc/resolv.conf.
  std::vector<std::string> dns_upstreams;
  /// The node's log broker (actors/logs/, `service logs` across nodes), if
  /// any: whenever the components start it learns this node's id and
  /// transport, and it serves LOGS requests on the cluster port.
  logs::log_broker_actor_type logs_broker;
};

/// Spawns the node supervisor and its control actor. Returns {node,
/// control}. `dir` and `clk` outlive the actors.
std::pair<node_actor_type, control::control_actor_type>
spawn_node(caf::actor_system& sys, persistence::data_dir& dir, node_config cfg,
           clock& clk);

} // namespace actorswarm::node
