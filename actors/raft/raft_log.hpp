#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "actors/raft/log_reader.hpp"
#include "actors/raft/unstable_log.hpp"

namespace actorswarm::raft {

/// The Raft log as the core sees it: the durable part read through a
/// log_reader plus the unstable part not yet persisted (etcd's log.go).
/// Invariant: applied <= committed <= last_index().
class raft_log {
public:
  /// Starts from what `storage` holds; `storage` must outlive this object.
  explicit raft_log(const log_reader& storage);

  uint64_t first_index() const;

  /// The storage's latest snapshot index (log_reader).
  uint64_t latest_snapshot_index() const {
    return storage_.latest_snapshot_index();
  }
  uint64_t last_index() const;

  /// Last index known to be on stable storage: entries after it are still
  /// in the unstable part (handed out by ready(), not yet advanced).
  uint64_t durable_last_index() const;
  uint64_t last_term() const;

  /// Term of entry `i`, or nullopt when compacted or beyond last_index().
  std::optional<uint64_t> term(uint64_t i) const;

  /// Whether entry `i` exists with term `t`.
  bool match_term(uint64_t i, uint64_t t) const;

  /// Raft §5.3: appends `xs` following (index, log_term) if our log matches
  /// there, truncating conflicts, and advances commit to
  /// min(committed, last new index). Returns the last new index, or nullopt
  /// if our log does not contain (index, log_term).
  std::optional<uint64_t> maybe_append(uint64_t index, uint64_t log_term,
                                       uint64_t committed,
                                       const std::vector<pb::Entry>& xs);

  /// Appends at the end (leader); returns the new last index.
  uint64_t append(const std::vector<pb::Entry>& xs);

  /// First index at which `xs` conflicts with (or extends) our log; 0 if
  /// all of `xs` is already in it.
  uint64_t find_conflict(const std::vector<pb::Entry>& xs) const;

  /// Largest index <= `index` whose term is <= `term`, with its term (0 if
  /// unknown): the leader's fast back-off after a rejection (etcd).
  std::pair<uint64_t, uint64_t> find_conflict_by_term(uint64_t index,
                                                      uint64_t term) const;

  /// Raft §5.4.1: whether a log ending at (lasti, term) is at least as up to
  /// date as ours.
  bool is_up_to_date(uint64_t lasti, uint64_t term) const;

  /// Raft §5.4.2: commits `max_index` only if its entry has term `term`.
  bool maybe_commit(uint64_t max_index, uint64_t term);

  /// Advances the commit index (never backwards); asserts it is in the log.
  void commit_to(uint64_t x);

  /// The owner applied everything up to `i`.
  void applied_to(uint64_t i);

  void stable_to(uint64_t i, uint64_t t);
  void stable_snap_to(uint64_t i);

  /// Replaces the log by a snapshot from the leader.
  void restore(const pb::Snapshot& s);

  /// Entries from `i` to the end, at most `max_bytes` (at least one).
  result<std::vector<pb::Entry>> entries(uint64_t i, uint64_t max_bytes) const;

  /// Entries [lo, hi) from storage and the unstable part.
  result<std::vector<pb::Entry>> slice(uint64_t lo, uint64_t hi,
                                       uint64_t max_bytes) const;

  /// Committed entries the owner has not applied yet (none while a
  /// snapshot is pending).
  std::vector<pb::Entry> next_committed_entries() const;
  bool has_next_committed_entries() const;

  /// The pending snapshot, else the storage's.
  result<pb::Snapshot> snapshot() const;

  const unstable_log& unstable() const {
    return unstable_;
  }

  uint64_t committed() const {
    return committed_;
  }

  uint64_t applied() const {
    return applied_;
  }

  /// Sets applied at start-up (owner's config), at most committed.
  void set_applied(uint64_t x);

private:
  const log_reader& storage_;
  unstable_log unstable_;
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
};

} // namespace actorswarm::raft
