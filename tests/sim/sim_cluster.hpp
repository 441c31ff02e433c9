#pragma once

// The deterministic fault simulation of the production code (issue #9):
// N managers, each a production store actor with its production raft peer
// (spawned by store::spawn_store with the daemon's configuration, through
// the daemon's start-up path) over its own fault-injecting disk
// (sim/sim_disk.hpp), linked by a simulated network at the envelope layer
// (above TLS: a sim transport actor in place of net::cluster_transport),
// all under CAF's test coordinator and one seed. Each manager also runs the
// daemon's dispatcher and leadership actor (orchestrator, scheduler,
// allocator while it leads) with a simulated agent per node. A client
// workload writes and reads services through every manager; the run checks
// Raft's invariants, the linearizability of the client history
// (sim/linearizability.hpp), that every node can restart, liveness once
// the faults heal, and the orchestration invariants (desired state reached,
// no slot run twice beyond the reconciliation window). docs/simulation.md
// describes what it covers.
//
// A run is a function of (options, fault schedule): the schedule is drawn
// from the seed (make_schedule) and can be shrunk (shrink_schedule) to a
// small one that still fails.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/linearizability.hpp"

namespace actorswarm::sim {

/// What one run simulates.
struct sim_options {
  uint64_t seed = 1;
  /// Managers (3 or 5).
  size_t managers = 3;
  /// Length of the phase with faults and client load (sim ms).
  sim_time fault_ms = 12000;
  /// Length of the phase after it: network whole, all nodes up, no disk
  /// faults; liveness and agreement are checked at its end.
  sim_time heal_ms = 12000;
  /// Log entries between snapshots (small, so snapshots, compaction and
  /// snapshot installs happen in every run).
  uint64_t snapshot_interval = 8;
  bool disk_faults = true;
  bool network_faults = true;
  /// Crash windows inside a follower's install of the leader's snapshot
  /// (between publishing it and compacting the log: issue #9 defect 1).
  bool crash_in_snapshot_install = true;
  /// Run force-new-cluster on one manager (recover_actor's steps, with
  /// crash points inside) in the middle of the run; the other managers are
  /// gone for good, as when an operator runs it.
  bool force_new_cluster = false;
  /// Run the leader's orchestration (dispatcher, leadership actor with the
  /// orchestrator, scheduler, allocator, CA) on every manager and a
  /// simulated agent per node, and check the orchestration invariants.
  /// Off with force_new_cluster (the removed managers' nodes stay).
  bool orchestration = true;
  /// Lines of trace kept for a report.
  size_t trace_lines = 80;
};

/// One scheduled fault.
struct fault_event {
  enum class kind : uint8_t {
    crash,        // kill node's process now (no clean shutdown)
    arm_crash,    // crash node at its arg-th next disk write (mode)
    fsync_error,  // fail-stop at node's arg-th next synced write
    corrupt_read, // node's next log read finds a corrupt record
    restart,      // start node again from its durable image
    partition,    // cut `side` from the others, both ways
    one_way,      // drop messages from node to arg
    heal,         // network whole again
    force_new,    // force-new-cluster on node (see sim_options)
    quiet,        // network whole, every node up, armed crashes off
  };
  sim_time at = 0;
  kind what = kind::crash;
  uint64_t node = 0;
  uint64_t arg = 0;
  /// arm_crash: 0 before the write, 1 after it.
  uint64_t mode = 0;
  std::vector<uint64_t> side;
};

std::string to_string(const fault_event& x);

/// The fault schedule of `opts.seed`.
std::vector<fault_event> make_schedule(const sim_options& opts);

/// Outcome of one run.
struct sim_result {
  /// The first violation ("" if none).
  std::string violation;
  /// The last `trace_lines` events before the end (or the violation).
  std::vector<std::string> trace;
  /// Hash of everything that happened (determinism).
  uint64_t digest = 0;
  size_t ops = 0;
  size_t acknowledged = 0;
  size_t unknown = 0;
  size_t crashes = 0;
  size_t restarts = 0;
  size_t snapshots_installed = 0;
  size_t messages = 0;
  /// Task processes the simulated agents started (orchestration).
  size_t tasks_started = 0;
  /// Times a slot ran two task processes at once (a task moved while its
  /// old node still ran it).
  size_t duplicate_slots = 0;

  bool ok() const {
    return violation.empty();
  }
};

/// Runs `opts` with `schedule`.
sim_result run_simulation(const sim_options& opts,
                          const std::vector<fault_event>& schedule);

/// Runs the seed's own schedule.
inline sim_result run_seed(const sim_options& opts) {
  return run_simulation(opts, make_schedule(opts));
}

/// Delta debugging: indexes into `schedule` of a smaller schedule that still
/// fails (any violation), trying at most `max_runs` runs.
std::vector<size_t> shrink_schedule(const sim_options& opts,
                                    const std::vector<fault_event>& schedule,
                                    size_t max_runs = 60);

/// The schedule events at `keep` (indexes into `schedule`).
std::vector<fault_event> select(const std::vector<fault_event>& schedule,
                                const std::vector<size_t>& keep);

/// A readable report of a failed run: violation, replay command, trace.
std::string describe_failure(const sim_options& opts, const sim_result& r,
                             const std::vector<fault_event>& schedule,
                             const std::vector<size_t>* kept = nullptr);

} // namespace actorswarm::sim
