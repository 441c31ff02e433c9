#pragma once

#include <cstdint>
#include <deque>
#include <variant>
#include <vector>

#include "persistence/log_store.hpp"

namespace actorswarm::persistence {

/// In-memory twin of rocksdb_log_store (logcabin Storage/MemoryLog.h), for
/// simulations and tests; passes the same conformance suite. It also models
/// what a crash loses: `crash()` drops every write saved with sync == false
/// since the last synced write or compaction, as RocksDB may.
class memory_log_store : public log_store {
public:
  uint64_t first_index() const override;

  uint64_t last_index() const override;

  result<uint64_t> term(uint64_t i) const override;

  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override;

  pb::HardState hard_state() const override;

  snapshot_point snapshot() const override;

  void save(const log_write& x) override;

  status compact_prefix(uint64_t index, uint64_t term) override;

  void clear() override;

  /// Simulates a process crash and restart: the store reverts to its
  /// durable state (unsynced writes lost). Cost: one copy of the log.
  void crash();

private:
  // -- member types ----------------------------------------------------------

  struct state {
    snapshot_point snap;
    std::deque<pb::Entry> log; // log[0].index() == snap.index + 1
    pb::HardState hard_state;
  };

  using pending_op = std::variant<log_write, snapshot_point>;

  // -- helpers ---------------------------------------------------------------

  static void apply(state& st, const log_write& x);

  static void apply(state& st, const snapshot_point& x);

  static void apply(state& st, const pending_op& x);

  void make_durable();

  // -- member variables ------------------------------------------------------

  /// What readers see: every write so far.
  state current_;

  /// What survives a crash.
  state durable_;

  /// Unsynced writes not yet in `durable_`, oldest first.
  std::vector<pending_op> pending_;
};

} // namespace actorswarm::persistence
