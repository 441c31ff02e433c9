#pragma once

#include <functional>
#include <optional>
#include <string>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace google::protobuf {
class MessageLite;
} // namespace google::protobuf

namespace actorswarm::persistence {

/// Where a store reports trouble it recovered from (e.g. a corrupt snapshot
/// it skipped). Injected so tests can see it; the daemon logs it at warn.
using warn_fn = std::function<void(const std::string&)>;

/// Raft snapshots: the state machine at some applied index, as bytes this
/// store does not interpret (logcabin Storage/SnapshotFile.h). Single-threaded
/// use by the owner of the Raft peer.
///
/// Note for callers: `load_latest` may fall back to an older snapshot when the
/// newest is corrupt, which is only useful if the log still holds the entries
/// after it. Compact the log no further than the oldest snapshot kept.
class snapshot_store {
public:
  virtual ~snapshot_store() = default;

  /// Makes (meta, data) durable and the latest snapshot, then drops all but
  /// the `keep_old` previous ones. Never publishes half-written data: fails
  /// with errc::no_space on a full disk, errc::internal otherwise (nothing
  /// published either way, the caller may retry later) if the snapshot
  /// could not be written; fail-stop if the publication itself cannot be
  /// made durable.
  virtual status save(const pb::SnapshotMetadata& meta, const std::string& data)
    = 0;

  /// The newest snapshot whose checksum verifies, or none if there never was
  /// one. Skips a corrupt snapshot with a warning and tries the previous one;
  /// fails with errc::data_corrupt if snapshots exist but none verifies (the
  /// data they replaced is gone; refusing to start beats starting empty).
  virtual result<std::optional<pb::Snapshot>> load_latest() const = 0;

  /// Like `save(meta, state serialized)`, but streams `state` into storage:
  /// no serialized copy in memory (a snapshot of a million tasks).
  virtual status save_message(const pb::SnapshotMetadata& meta,
                              const google::protobuf::MessageLite& state)
    = 0;

  /// Like `load_latest`, but parses the data straight into `state` and
  /// returns the metadata (none if there never was a snapshot; `state` is
  /// then cleared). Data that does not parse as `state` counts as corrupt.
  virtual result<std::optional<pb::SnapshotMetadata>>
  load_latest_message(google::protobuf::MessageLite& state) const = 0;

  /// Deletes every snapshot, durably: afterwards `load_latest` finds none,
  /// as in a new store. For a node that leaves its swarm; the Raft peer must
  /// be gone. A deletion that cannot be made durable is fail-stop.
  virtual void clear() = 0;
};

} // namespace actorswarm::persistence
