#pragma once

// Every default of the cluster in one place, units last (STYLE.md R8, R11).
// Each component's *_config struct (raft_config, raft_actor_config,
// store_config, dispatcher_config, node_config, ...) defaults its fields to
// these, and flags and `swarm init|update` override them; a timeout that is
// not configurable is used from here directly. CAF-free: every part of the
// tree may include it.

#include <cstdint>

namespace actorswarm {

struct cluster_defaults {
  // -- Raft (etcd's and SwarmKit's timing: 1 s election, 100 ms heartbeat) ---

  /// Length of one Raft tick (`daemon --tick-ms`).
  static constexpr uint64_t raft_tick_ms = 100;
  /// Ticks without a leader's message before a follower campaigns
  /// (`swarm init --election-tick`); the core randomizes it to [n, 2n).
  static constexpr uint64_t election_ticks = 10;
  /// Ticks between a leader's heartbeats (`swarm init --heartbeat-tick`).
  static constexpr uint64_t heartbeat_ticks = 1;
  /// Applied log entries between snapshots (`daemon --snapshot-interval`,
  /// SwarmKit's snapshot-interval).
  static constexpr uint64_t snapshot_interval_entries = 10'000;

  // -- Dispatcher (SwarmKit's) -----------------------------------------------

  /// How often an agent sends a heartbeat (`swarm init
  /// --dispatcher-heartbeat`).
  static constexpr int64_t dispatcher_heartbeat_period_ms = 5'000;
  /// Missed heartbeat periods after which a node is marked Down.
  static constexpr uint32_t heartbeat_misses_max = 3;

  // -- Security (Docker's) -----------------------------------------------------

  /// Validity of a node certificate (`swarm update --cert-expiry`).
  static constexpr int node_cert_days = 90;
  /// Validity of the cluster's root CA.
  static constexpr int root_ca_days = 20 * 365;

  // -- Requests between this node's own actors --------------------------------

  /// A request to this manager's store (views, status, proposals).
  static constexpr int64_t store_request_timeout_ms = 30'000;
  /// `swarm join`: the whole exchange with the manager it was given.
  static constexpr int64_t join_timeout_ms = 20'000;
  /// `node promote|demote|rm` forwarded to, or run on, the leader.
  static constexpr int64_t role_change_timeout_ms = 20'000;
  /// The leader stores the managers' leader flag and reachability this often
  /// (SwarmKit's leader does the same).
  static constexpr int64_t manager_status_period_ms = 500;
  /// `swarm leave`: how long stopped task processes get before SIGKILL.
  static constexpr int64_t leave_stop_grace_ms = 10'000;

  // -- The CLI ---------------------------------------------------------------

  /// How long the CLI waits for the daemon's answer to one request.
  static constexpr int64_t cli_request_timeout_ms = 120'000;

  // -- Services (Docker's `service create` defaults) ---------------------------

  /// `--restart-delay`.
  static constexpr int64_t restart_delay_ns = 5'000'000'000;
  /// `--stop-grace-period`.
  static constexpr int64_t stop_grace_ns = 10'000'000'000;
  /// The most replicas one service may ask for (`swarm update
  /// --max-replicas-per-service`; Docker has no limit, but one request must
  /// not be able to exhaust a manager's memory).
  static constexpr uint64_t max_replicas_per_service = 100'000;
  /// `--update-*` and `--rollback-*` when the spec has no UpdateConfig
  /// (SwarmKit's defaults.Service.Update and .Rollback: parallelism 1,
  /// delay 0, failure action pause, monitor 5 s, max failure ratio 0,
  /// order stop-first). A spec that sets an UpdateConfig gives every field.
  static constexpr uint64_t update_parallelism = 1;
  static constexpr int64_t update_monitor_ns = 5'000'000'000;
  /// How long a stop-first update waits for the old task to stop before it
  /// starts the new one anyway (SwarmKit's restart supervisor TaskTimeout).
  static constexpr int64_t update_old_task_timeout_ns = 60'000'000'000;

  // -- Networks (Docker's `swarm init` and ingress defaults) -------------------

  /// `--default-addr-pool`: where networks without --subnet get theirs.
  static constexpr const char* default_addr_pool = "10.0.0.0/8";
  /// `--default-addr-pool-mask-length`.
  static constexpr uint32_t subnet_size = 24;
  /// `--data-path-port`: the VXLAN UDP port.
  static constexpr uint32_t data_path_port = 4789;
  /// The `ingress` network `swarm init` creates, as Docker's.
  static constexpr const char* ingress_name = "ingress";
  static constexpr const char* ingress_subnet = "10.0.0.0/24";
  static constexpr const char* ingress_gateway = "10.0.0.1";
  /// Published ports without a number come from this range (ingress mode).
  static constexpr uint32_t dynamic_port_min = 30000;
  static constexpr uint32_t dynamic_port_max = 32767;
};

} // namespace actorswarm
