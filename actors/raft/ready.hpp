#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/raft.pb.h"

namespace actorswarm::raft {

/// Role of a peer (etcd StateType).
enum class role { follower, pre_candidate, candidate, leader };

/// Volatile state the owner may show (node ls MANAGER STATUS); not persisted.
struct soft_state {
  /// Raft id of the leader this peer follows, 0 if none.
  uint64_t lead = 0;
  role state = role::follower;

  friend bool operator==(const soft_state& x, const soft_state& y) {
    return x.lead == y.lead && x.state == y.state;
  }

  friend bool operator!=(const soft_state& x, const soft_state& y) {
    return !(x == y);
  }
};

/// A linearizable read is safe once the state machine applied `index`
/// (Raft thesis §6.4, ReadIndex). `context` is the caller's request id.
struct read_state {
  std::string context;
  uint64_t index = 0;
};

/// Everything the owner must do after the core changed (etcd's Ready), in
/// this order: persist `hard_state`, `entries` and `snapshot` (synced if
/// `must_sync`), then send `messages`, then apply the `snapshot` and the
/// `committed_entries` to the state machine, then call advance().
struct ready {
  /// Set when term, vote or commit changed.
  std::optional<pb::HardState> hard_state;
  /// Entries to append to the durable log (may replace a suffix).
  std::vector<pb::Entry> entries;
  /// A snapshot from the leader: persist it, then restore the state machine.
  std::optional<pb::Snapshot> snapshot;
  /// Committed entries to apply, in order.
  std::vector<pb::Entry> committed_entries;
  /// Messages to send, only after the persistence above.
  std::vector<pb::RaftMessage> messages;
  /// ReadIndex answers; serve each once applied >= index.
  std::vector<read_state> read_states;
  /// Set when leader or role changed.
  std::optional<raft::soft_state> soft_state;
  /// Whether the write must be synced (entries, term or vote changed);
  /// a commit-only change may be written without sync.
  bool must_sync = false;
};

} // namespace actorswarm::raft
