#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::raft {

/// What the raft peer hands its state machine (the store) after persisting a
/// ready: first restore `snapshot` if set, then apply `entries` in order (the
/// store applies NORMAL entries with data as StoreBatch; no-ops and conf
/// changes only advance its applied index). In-process only.
struct apply_batch {
  std::optional<pb::Snapshot> snapshot;
  std::vector<pb::Entry> entries;
  /// The raft peer wants the state serialized after these entries (it takes
  /// a snapshot every snapshot_interval entries).
  bool want_snapshot = false;
};

using apply_batch_ptr = std::shared_ptr<const apply_batch>;

/// The raft peer's view of the group, for `node ls` and forwarding.
struct raft_status {
  uint64_t raft_id = 0;
  uint64_t term = 0;
  /// Raft id of the leader, 0 if none known.
  uint64_t lead = 0;
  bool is_leader = false;
  /// The voters with their node ids and addresses.
  pb::ConfState members;
  /// Raft ids of voters whose connection is up (always includes self).
  std::vector<uint64_t> reachable;
  /// Set while this peer cannot write its log (a full disk: errc::no_space,
  /// "no space left on device in <data dir>: the write was refused"), until
  /// a write succeeds again. Such a peer does not lead and acknowledges
  /// nothing.
  std::optional<failure> write_refused;
  /// When a refused write held proposals that no other peer received
  /// either: the first log index of them. Those entries are gone and never
  /// commit; their proposers get `write_refused`. 0: none.
  uint64_t refused_from = 0;

  /// Whether voter `id` is in `reachable`.
  bool reaches(uint64_t id) const {
    return std::find(reachable.begin(), reachable.end(), id) != reachable.end();
  }
};

using raft_status_ptr = std::shared_ptr<const raft_status>;

} // namespace actorswarm::raft
