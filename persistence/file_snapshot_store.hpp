#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/snapshot_file.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::persistence {

/// snapshot_store as files `snap-<term>-<index>.snap` (16 hex digits each)
/// in one directory, written aside as `.tmp`, fsynced, renamed into place and
/// the directory fsynced. File layout in snapshot_file.hpp (with a crc32c).
/// Data streams from and into the caller's buffer or message: no copies.
class file_snapshot_store : public snapshot_store {
public:
  /// Uses the existing directory `dir`; keeps `keep_old` snapshots besides
  /// the newest; reports skipped corrupt files to `warn`.
  file_snapshot_store(std::string dir, size_t keep_old, warn_fn warn);

  status save(const pb::SnapshotMetadata& meta,
              const std::string& data) override;

  result<std::optional<pb::Snapshot>> load_latest() const override;

  status save_message(const pb::SnapshotMetadata& meta,
                      const google::protobuf::MessageLite& state) override;

  result<std::optional<pb::SnapshotMetadata>>
  load_latest_message(google::protobuf::MessageLite& state) const override;

  void clear() override;

  /// Paths of the published snapshot files, newest first.
  std::vector<std::string> files() const;

private:
  struct file_entry {
    uint64_t term;
    uint64_t index;
    std::string path;
  };

  /// Published snapshot files, newest (highest index, then term) first.
  std::vector<file_entry> list() const;

  /// Writes aside, publishes and prunes (the shape of every save).
  status save_with(const pb::SnapshotMetadata& meta, uint64_t data_len,
                   const std::function<int(snapshot_sink&)>& body);

  /// Reads the newest file that verifies, through `body`; `reset` discards
  /// what a failed attempt produced.
  result<std::optional<pb::SnapshotMetadata>>
  load_with(const std::function<bool(snapshot_source&)>& body,
            const std::function<void()>& reset) const;

  /// Deletes snapshots beyond keep_old and leftover tmp files.
  void prune() const;

  std::string dir_;
  size_t keep_old_;
  warn_fn warn_;
};

} // namespace actorswarm::persistence
