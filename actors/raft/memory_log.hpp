#pragma once

#include <vector>

#include "actors/raft/log_reader.hpp"

namespace actorswarm::raft {

/// In-memory log, hard state and snapshot (etcd's MemoryStorage, logcabin's
/// Storage/MemoryLog.h): the twin of the RocksDB store for tests and the
/// simulator. Writes are "durable" the moment they return; a simulated crash
/// keeps the object and drops whatever the owner did not write yet.
class memory_log : public log_reader {
public:
  memory_log();

  // -- log_reader ------------------------------------------------------------

  pb::HardState hard_state() const override;
  pb::ConfState conf_state() const override;
  uint64_t first_index() const override;
  uint64_t last_index() const override;
  result<uint64_t> term(uint64_t i) const override;
  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override;
  result<pb::Snapshot> snapshot() const override;

  // -- writes ----------------------------------------------------------------

  /// Replaces the hard state.
  void set_hard_state(const pb::HardState& x);

  /// Appends contiguous entries; entries at or above an existing index
  /// replace the suffix from there on; entries below first_index() are
  /// skipped. Precondition (AS_ASSERT): no gap after last_index().
  void append(const std::vector<pb::Entry>& xs);

  /// Replaces the whole log with a snapshot received from the leader.
  /// Returns false (and changes nothing) if it is older than ours.
  bool apply_snapshot(const pb::Snapshot& x);

  /// Records a snapshot the owner took at `index` (<= last_index()) with the
  /// conf state at that index; does not compact. Fails with log_compacted
  /// if `index` is not newer than the current snapshot.
  status create_snapshot(uint64_t index, const pb::ConfState& cs,
                         std::string data);

  /// Drops entries before `index` (must be <= last_index()); fails with
  /// log_compacted if already compacted.
  status compact(uint64_t index);

private:
  pb::HardState hard_state_;
  pb::Snapshot snapshot_;
  /// ents_[0] is a dummy at the compaction point (index and term only).
  std::vector<pb::Entry> ents_;
};

} // namespace actorswarm::raft
