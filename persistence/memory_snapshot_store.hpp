#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "persistence/snapshot_store.hpp"

namespace actorswarm::persistence {

/// In-memory twin of file_snapshot_store: keeps the newest snapshot plus
/// `keep_old` older ones. Saves always succeed and survive a simulated
/// crash (keep the object across restarts).
class memory_snapshot_store : public snapshot_store {
public:
  explicit memory_snapshot_store(size_t keep_old = 1);

  status save(const pb::SnapshotMetadata& meta,
              const std::string& data) override;

  result<std::optional<pb::Snapshot>> load_latest() const override;

  status save_message(const pb::SnapshotMetadata& meta,
                      const google::protobuf::MessageLite& state) override;

  result<std::optional<pb::SnapshotMetadata>>
  load_latest_message(google::protobuf::MessageLite& state) const override;

  void clear() override;

  /// Number of snapshots held (newest plus kept old ones).
  size_t size() const noexcept {
    return snaps_.size();
  }

private:
  size_t keep_old_;
  std::vector<pb::Snapshot> snaps_; // newest first
};

} // namespace actorswarm::persistence
