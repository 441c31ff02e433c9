#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/snapshot_store.hpp"

namespace actorswarm::persistence {

/// snapshot_store as files `snap-<term>-<index>.snap` (16 hex digits each)
/// in one directory, written aside as `.tmp`, fsynced, renamed into place and
/// the directory fsynced. File layout, integers big-endian:
///   "ASSNAP01" | u32 meta_len | SnapshotMetadata | u64 data_len | data |
///   u32 crc32c of everything before it.
/// Data is written from and read into one buffer: no extra copies.
class file_snapshot_store : public snapshot_store {
public:
  /// Uses the existing directory `dir`; keeps `keep_old` snapshots besides
  /// the newest; reports skipped corrupt files to `warn`.
  file_snapshot_store(std::string dir, size_t keep_old, warn_fn warn);

  status save(const pb::SnapshotMetadata& meta,
              const std::string& data) override;

  result<std::optional<pb::Snapshot>> load_latest() const override;

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

  /// Writes the tmp file and fsyncs it. Returns 0 or an errno.
  int write_tmp(const std::string& path, const pb::SnapshotMetadata& meta,
                const std::string& data) const;

  /// Reads and verifies one file; the failure says what is wrong.
  result<pb::Snapshot> read(const std::string& path) const;

  /// Deletes snapshots beyond keep_old and leftover tmp files.
  void prune() const;

  std::string dir_;
  size_t keep_old_;
  warn_fn warn_;
};

} // namespace actorswarm::persistence
