#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "messages/raft.pb.h"

namespace actorswarm::raft {

/// Entries and a snapshot not yet persisted by the owner (etcd's
/// log_unstable.go). Entry `i` lives at entries_[i - offset_].
class unstable_log {
public:
  /// First index if a snapshot is pending (its index + 1).
  std::optional<uint64_t> maybe_first_index() const;

  /// Last index of the pending entries, else of the pending snapshot.
  std::optional<uint64_t> maybe_last_index() const;

  /// Term of entry `i` if the unstable part knows it.
  std::optional<uint64_t> maybe_term(uint64_t i) const;

  /// Entries up to (i, t) were persisted; drops them unless they were
  /// replaced in the meantime (the term differs).
  void stable_to(uint64_t i, uint64_t t);

  /// The snapshot at index `i` was persisted.
  void stable_snap_to(uint64_t i);

  /// Replaces everything by a snapshot received from the leader.
  void restore(const pb::Snapshot& s);

  /// Appends `xs`, truncating any conflicting suffix first.
  void truncate_and_append(const std::vector<pb::Entry>& xs);

  /// Entries [lo, hi); precondition: offset() <= lo <= hi <= last + 1.
  std::vector<pb::Entry> slice(uint64_t lo, uint64_t hi) const;

  const std::vector<pb::Entry>& entries() const {
    return entries_;
  }

  const std::optional<pb::Snapshot>& snapshot() const {
    return snapshot_;
  }

  uint64_t offset() const {
    return offset_;
  }

  /// Sets the index of the first unstable entry (at start-up).
  void set_offset(uint64_t x) {
    offset_ = x;
  }

private:
  std::optional<pb::Snapshot> snapshot_;
  std::vector<pb::Entry> entries_;
  uint64_t offset_ = 1;
};

} // namespace actorswarm::raft
