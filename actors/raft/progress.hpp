#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace actorswarm::raft {

/// How the leader currently replicates to one follower (etcd tracker).
enum class progress_state {
  /// One AppendEntries per heartbeat until we find where the logs match.
  probe,
  /// Optimistic pipelining: next advances on send, up to the inflight window.
  replicate,
  /// An InstallSnapshot is outstanding; nothing else is sent.
  snapshot,
};

/// Last-indexes of the AppendEntries in flight to one follower; a bounded
/// sliding window for flow control (etcd tracker/inflights.go).
class inflights {
public:
  explicit inflights(uint64_t capacity) : capacity_(capacity) {
    // nop
  }

  /// Records a message whose last entry has index `i`; precondition !full().
  void add(uint64_t i);

  /// Frees all messages with last index <= `i` (acknowledged).
  void free_le(uint64_t i);

  /// Frees the oldest message (a heartbeat answer proves liveness).
  void free_first_one();

  bool full() const {
    return q_.size() >= capacity_;
  }

  size_t count() const {
    return q_.size();
  }

  void reset() {
    q_.clear();
  }

private:
  uint64_t capacity_;
  std::deque<uint64_t> q_;
};

/// The leader's view of one follower (etcd tracker/progress.go).
/// Invariant: match < next.
struct progress {
  explicit progress(uint64_t max_inflight) : inflight(max_inflight) {
    // nop
  }

  /// Highest index known to be replicated on the follower.
  uint64_t match = 0;
  /// Index of the next entry to send.
  uint64_t next = 1;
  progress_state state = progress_state::probe;
  /// Index of the snapshot in flight (snapshot state only).
  uint64_t pending_snapshot = 0;
  /// Ticks spent in snapshot state, for the retry timeout.
  uint64_t snapshot_ticks = 0;
  /// Heard from the follower since the last CheckQuorum round.
  bool recent_active = false;
  /// Probe state: a message was sent and we wait for an answer/heartbeat.
  bool probe_sent = false;
  inflights inflight;

  void become_probe();
  void become_replicate();
  void become_snapshot(uint64_t snapshot_index);

  /// An AppendEntries answer acknowledged `n`; returns whether match moved.
  bool maybe_update(uint64_t n);

  /// Pipelining: entries up to `n` were sent.
  void optimistic_update(uint64_t n) {
    next = n + 1;
  }

  /// The follower rejected an append at `rejected`; `match_hint` is the
  /// highest index that may match. Returns false for a stale rejection.
  bool maybe_decr_to(uint64_t rejected, uint64_t match_hint);

  /// Whether the leader must not send more entries now (flow control).
  bool is_paused() const;
};

} // namespace actorswarm::raft
