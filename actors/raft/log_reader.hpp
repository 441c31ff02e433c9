#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::raft {

/// errc of a read below the compaction point (etcd's ErrCompacted).
constexpr errc log_compacted = errc::not_found;

/// errc of a read past last_index() (etcd's ErrUnavailable), or of a snapshot
/// that is temporarily unavailable.
constexpr errc log_unavailable = errc::bad_request;

/// "No limit" for entries().
constexpr uint64_t no_limit_bytes = std::numeric_limits<uint64_t>::max();

/// Read access of the Raft core to the durable log (after etcd-io/raft
/// storage.go). The core never writes through it: the owner persists what a
/// `ready` hands out and then calls `raft_core::advance`. Indexes start at 1;
/// an empty log has first_index() == 1, last_index() == 0. Single-threaded.
class log_reader {
public:
  virtual ~log_reader() = default;

  /// Durable hard state (all zero if none was ever saved).
  virtual pb::HardState hard_state() const = 0;

  /// Conf state as of the latest snapshot (empty without a snapshot).
  virtual pb::ConfState conf_state() const = 0;

  /// Index of the first entry still in the log; snapshot index + 1.
  virtual uint64_t first_index() const = 0;

  /// Index of the last entry; the snapshot index if the log is empty.
  virtual uint64_t last_index() const = 0;

  /// Term of entry `i` for first_index() - 1 <= i <= last_index(); fails
  /// with log_compacted below and log_unavailable above.
  virtual result<uint64_t> term(uint64_t i) const = 0;

  /// Entries [lo, hi), at most `max_bytes` (sum of ByteSizeLong) but at
  /// least one when lo < hi. Fails with log_compacted if lo < first_index(),
  /// log_unavailable if hi > last_index() + 1.
  virtual result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                                 uint64_t max_bytes) const = 0;

  /// Index of the latest snapshot: a follower that needs entries up to it
  /// may get the snapshot instead. Defaults to the compaction point.
  virtual uint64_t latest_snapshot_index() const {
    return first_index() - 1;
  }

  /// The latest snapshot, to send to a follower that fell behind; fails with
  /// log_unavailable while none can be produced.
  virtual result<pb::Snapshot> snapshot() const = 0;
};

} // namespace actorswarm::raft
