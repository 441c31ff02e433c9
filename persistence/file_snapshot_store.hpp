#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "persistence/at_rest.hpp"
#include "persistence/snapshot_file.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::persistence {

/// snapshot_store as files `snap-<term>-<index>.snap` (16 hex digits each)
/// in one directory, written aside as `.tmp`, fsynced, renamed into place and
/// the directory fsynced. File layout in snapshot_file.hpp (with a crc32c).
/// Data streams from and into the caller's buffer or message: no copies.
///
/// With a cipher (autolock) the data of every file is one sealed record
/// (at_rest.hpp) whose label binds the file's metadata; such a file holds
/// the whole serialized state in memory once while it is written or read.
/// A plain file under a cipher, or a sealed one without, counts as corrupt.
class file_snapshot_store : public snapshot_store {
public:
  /// Uses the existing directory `dir`; keeps `keep_old` snapshots besides
  /// the newest; reports skipped corrupt files to `warn`; seals with
  /// `cipher` if given. `accept_plain` also reads plain files under a
  /// cipher, until the next `reseal` (a conversion a crash interrupted).
  file_snapshot_store(std::string dir, size_t keep_old, warn_fn warn,
                      std::shared_ptr<const at_rest::cipher> cipher = nullptr,
                      bool accept_plain = false);

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

  /// Rewrites every published snapshot under `next` (nullptr: plain), each
  /// aside and renamed into place, and uses `next` from then on. Fails
  /// (errc::internal) if a snapshot does not read or cannot be written;
  /// those rewritten before stay rewritten, so the caller must not go on
  /// as if nothing happened (the daemon stops). Any thread may call it:
  /// every public method holds one mutex, so a reader never sees a
  /// half-converted store.
  status reseal(std::shared_ptr<const at_rest::cipher> next);

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

  /// save_with of `plain` sealed under the cipher.
  status save_sealed(const pb::SnapshotMetadata& meta,
                     const std::string& plain);

  /// Reads the data of a source under this store's cipher into `out`;
  /// false (and `why` set) if it is not what this store writes.
  bool read_data(snapshot_source& source, std::string& out,
                 std::string& why) const;

  /// Reads the newest file that verifies, through `body` (which may say why
  /// it refused the data); `reset` discards what a failed attempt produced.
  result<std::optional<pb::SnapshotMetadata>>
  load_with(const std::function<bool(snapshot_source&, std::string&)>& body,
            const std::function<void()>& reset) const;

  /// Deletes snapshots beyond keep_old and leftover tmp files.
  void prune() const;

  std::string dir_;
  size_t keep_old_;
  warn_fn warn_;
  std::shared_ptr<const at_rest::cipher> cipher_;
  bool accept_plain_;
  // Guards the files and the cipher against a concurrent reseal.
  mutable std::mutex mu_;
};

} // namespace actorswarm::persistence
