#pragma once

#include <cstdint>
#include <optional>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::persistence {
class log_store;
class snapshot_store;
} // namespace actorswarm::persistence

namespace actorswarm::raft {

/// What `reconcile_at_startup` did.
enum class reconcile_action {
  /// The log already covered the newest snapshot (it holds the snapshot's
  /// index with its term, or is compacted to it): nothing written.
  none,
  /// The log disagreed with the snapshot's term at its index, or did not
  /// reach it: every entry was dropped (never replayed), the log compacted
  /// to the snapshot.
  replaced,
};

/// The outcome of `reconcile_at_startup`.
struct reconcile_report {
  reconcile_action action = reconcile_action::none;
  /// Index of the newest snapshot (0: none).
  uint64_t snapshot_index = 0;
  /// The log afterwards.
  uint64_t first_index = 0;
  uint64_t last_index = 0;
  /// Whether the hard state's term was raised to the snapshot's term.
  bool raised_term = false;
};

/// Makes the Raft log consistent with the newest snapshot at start-up, before
/// the store restores that snapshot and before the Raft core starts (etcd's
/// ValidSnapshotEntries). `latest` is the metadata of the snapshot the state
/// machine will be restored from (none if there is no snapshot).
///
/// durable_log::persist publishes a leader's snapshot and then compacts the
/// log in a second synced write; a crash in between leaves a snapshot past
/// the log's compaction point. Here:
/// - a log that holds the snapshot's index with the snapshot's term is left
///   as it is: that is the state durable_log::save_snapshot leaves too (the
///   log is kept back to the previous snapshot, a fallback if the newest
///   file is corrupt and entries for followers a little behind), and the
///   core starts on it with applied = the snapshot's index;
/// - a log that disagrees with that term, or ends before that index, loses
///   every entry and is compacted to the snapshot (compact_prefix): the
///   conflicting entries are never replayed;
/// - a hard state older than the snapshot's term is raised to it (no vote).
///
/// Refuses to start, changing nothing, with errc::data_corrupt when the data
/// is inconsistent beyond such a crash: a log compacted to index i > 0
/// without a snapshot at i or later (snapshot files lost), a snapshot at the
/// compaction point with another term, or a committed log entry at the
/// snapshot's index with another term.
///
/// Each write is one synced log_store call and the function only moves the
/// stores towards the same end state: a crash at any point and a rerun give
/// that state; a rerun after success changes nothing (report action none).
/// `bugs::skip_startup_reconcile` skips the reconciling writes (issue #9
/// defect 1 back), not the refusal.
result<reconcile_report>
reconcile_at_startup(persistence::log_store& log,
                     const std::optional<pb::SnapshotMetadata>& latest);

/// The same, reading the newest snapshot from `snaps` (its data is read to
/// verify it, then dropped). A snapshot store that has snapshots of which
/// none verifies fails with errc::data_corrupt.
result<reconcile_report>
reconcile_at_startup(persistence::log_store& log,
                     persistence::snapshot_store& snaps);

} // namespace actorswarm::raft
