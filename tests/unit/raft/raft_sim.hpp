#pragma once

// A seeded simulator of N raft cores (STYLE.md R4): a sim_network that
// drops, delays, duplicates, reorders and partitions; crash-restarts from the
// durable memory_log (unsynced hard state is lost); snapshots and log
// compaction; leadership transfers, ReadIndex reads and spurious
// connection-loss reports. Checkers run on every ready. The timing config is
// randomised per seed (FoundationDB knobs). Ends with a healed phase that
// must make progress (liveness).

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "actors/raft/memory_log.hpp"
#include "actors/raft/raft_core.hpp"
#include "support/checkers.hpp"
#include "support/sim_network.hpp"

namespace actorswarm::raft::test {

/// Knobs of one simulation run, drawn from the seed.
struct sim_config {
  size_t nodes = 3;
  /// Peers that start outside the group (empty log) and may be added.
  size_t spares = 0;
  raft_config raft;
  uint64_t tick_units = 10;
  actorswarm::test::sim_network_options net;
  double p_crash = 0;
  double p_partition = 0;
  double p_propose = 0;
  double p_transfer = 0;
  double p_read = 0;
  double p_flap = 0;
  double p_notify_down = 0;
  double p_conf_change = 0;
  uint64_t snapshot_interval = 20;
  uint64_t keep_entries = 5;
  uint64_t steps = 3000;

  /// Draws every knob from `seed`.
  static sim_config random(uint64_t seed, size_t nodes);
};

/// One simulation run. run() returns a hash of the final state; error()
/// holds the first violation ("" if none).
class raft_sim {
public:
  raft_sim(uint64_t seed, sim_config cfg);
  ~raft_sim();

  /// Runs the faulty phase, then the healed phase; returns the state hash.
  uint64_t run();

  const std::string& error() const {
    return checker_.error();
  }

  /// Number of entries committed (for sanity checks of the test itself).
  uint64_t committed() const {
    return checker_.max_committed();
  }

  /// Snapshots installed from a leader (coverage of the test itself).
  uint64_t snapshots_installed() const {
    return snapshots_installed_;
  }

  /// Membership changes applied on some peer (coverage).
  uint64_t conf_changes_applied() const {
    return conf_changes_applied_;
  }

private:
  struct node;

  void faults(uint64_t now);
  void crash(node& n, uint64_t now);
  void restart(node& n);
  void tick_and_deliver(uint64_t now);
  void process(node& n, uint64_t now);
  void persist(node& n, const ready& rd);
  void apply(node& n, const ready& rd);
  void maybe_snapshot(node& n);
  void observe(node& n);
  node* leader();
  bool healed_phase(uint64_t& now);
  uint64_t digest() const;
  bool chance(double p);
  uint64_t uniform(uint64_t lo, uint64_t hi);

  uint64_t seed_;
  sim_config cfg_;
  std::mt19937_64 rng_;
  actorswarm::test::sim_network<pb::RaftMessage> net_;
  actorswarm::test::raft_checker checker_;
  std::vector<std::unique_ptr<node>> nodes_;
  uint64_t heal_at_ = 0;
  uint64_t proposals_ = 0;
  uint64_t reads_ = 0;
  uint64_t snapshots_installed_ = 0;
  uint64_t conf_changes_applied_ = 0;
};

} // namespace actorswarm::raft::test
