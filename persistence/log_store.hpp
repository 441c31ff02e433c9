#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::persistence {

/// errc of a read below the compaction point (etcd's ErrCompacted): the
/// caller needs the snapshot instead. Check with `i < first_index()` too.
constexpr errc log_compacted = errc::not_found;

/// errc of a read past `last_index()` (etcd's ErrUnavailable).
constexpr errc log_unavailable = errc::bad_request;

/// "No limit" for `log_store::entries`.
constexpr uint64_t no_size_limit_bytes = std::numeric_limits<uint64_t>::max();

/// Index and term of the last entry folded into a snapshot: the log answers
/// `term(index)` for it even though the entry itself is gone.
struct snapshot_point {
  uint64_t index = 0;
  uint64_t term = 0;
};

/// One durable write of the Raft peer: the entries and hard state of one
/// `ready`, possibly many proposals (group commit: one sync per save).
struct log_write {
  /// Replaces the stored hard state when set.
  std::optional<pb::HardState> hard_state;
  /// Contiguous entries (index increasing by one). If `entries[0].index()`
  /// is <= `last_index()`, the stored suffix from there on is dropped first
  /// (a new leader overwrote it). Must not leave a gap after `last_index()`.
  std::vector<pb::Entry> entries;
  /// When true, `save` returns only after the write is on stable storage.
  /// When false it may be lost at a crash, like write(2) without fsync
  /// (RocksDB `WriteOptions::sync`), but never reordered after later writes.
  bool sync = true;
};

/// The Raft log and hard state of one peer (after etcd-io/raft storage.go and
/// logcabin Storage/Log.h). Indexes start at 1; an empty, never-compacted log
/// has first_index() == 1 and last_index() == 0.
///
/// Only the raft peer that owns it may call it (single-threaded use; no
/// internal locking). Read errors are operational (`log_compacted`,
/// `log_unavailable`), and so is a full disk where a method says so
/// (`try_save`, `compact_prefix`: nothing was written). Any other failed
/// write or sync, or corrupt stored data, is fail-stop (AS_FAIL_STOP):
/// nobody can act on a lost write (STYLE.md R6).
class log_store {
public:
  virtual ~log_store() = default;

  /// Index of the first entry still available; snapshot().index + 1.
  virtual uint64_t first_index() const = 0;

  /// Index of the last entry; snapshot().index when the log is empty.
  virtual uint64_t last_index() const = 0;

  /// Term of the entry at `i`, for `first_index() - 1 <= i <= last_index()`
  /// (the term of the snapshot point answers for first_index() - 1, also
  /// 0 for index 0). Fails with `log_compacted` below, `log_unavailable` above.
  virtual result<uint64_t> term(uint64_t i) const = 0;

  /// Entries in [lo, hi), at most `max_bytes` in total (sum of
  /// Entry::ByteSizeLong), but always at least one when lo < hi (etcd).
  /// Fails with `log_compacted` if lo < first_index(), `log_unavailable` if
  /// hi > last_index() + 1. lo == hi gives an empty vector.
  virtual result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                                 uint64_t max_bytes) const = 0;

  /// The stored hard state; all-zero if none was ever saved.
  virtual pb::HardState hard_state() const = 0;

  /// Index and term of the latest compaction point ({0, 0} if none).
  virtual snapshot_point snapshot() const = 0;

  /// Persists `x` atomically (all of it or nothing, also across a crash).
  /// Entries below first_index() are skipped (already in the snapshot).
  /// Preconditions (AS_ASSERT): entries contiguous; no gap after last_index().
  virtual void save(const log_write& x) = 0;

  /// Like `save`, but a full disk (ENOSPC) is an operational error: fails
  /// with errc::no_space ("no space left on device in <data dir>: the write
  /// was refused") and changes nothing, neither what is stored nor what this
  /// object answers, so the caller refuses what depended on the write and
  /// may try again later; a later call succeeds once there is space again.
  /// Any other failure is fail-stop, as in `save` (an fsync error, EIO,
  /// too: STYLE.md R6). Default: `save` (a store that cannot run out).
  virtual status try_save(const log_write& x) {
    save(x);
    return ok_status();
  }

  /// Drops all entries <= `index` after a snapshot at (index, term), synced.
  /// If the log holds `index` with term `term`, later entries are kept;
  /// otherwise (a snapshot from the leader that replaces our log) all entries
  /// go and last_index() becomes `index`. Fails with `log_compacted` (and
  /// changes nothing) if `index` <= snapshot().index, with errc::no_space
  /// (changes nothing) on a full disk, like `try_save`.
  virtual status compact_prefix(uint64_t index, uint64_t term) = 0;

  /// Drops every entry, the hard state and the compaction point, synced:
  /// afterwards the store is like a new one (first_index() == 1,
  /// last_index() == 0, all-zero hard state, snapshot() == {0, 0}). For a
  /// node that leaves its swarm; the Raft peer must be gone.
  virtual void clear() = 0;
};

} // namespace actorswarm::persistence
