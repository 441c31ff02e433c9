#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::persistence {

// The snapshot file format, integers big-endian:
//   "ASSNAP01" | u32 meta_len | SnapshotMetadata | u64 data_len | data |
//   u32 crc32c of everything before it.
// A sealed file (autolock) starts with "ASSNAPE1" instead, and its data is
// one at_rest record; the crc32c still covers the whole file.
// The data streams through a sink or source, so neither side needs a copy.

/// Where the data of a snapshot file goes; keeps the running checksum.
class snapshot_sink {
public:
  snapshot_sink(int fd, uint32_t crc);

  /// Appends `size` bytes. Returns 0 or the errno of the failure.
  int write(const void* data, size_t size);

  uint32_t crc() const noexcept {
    return crc_;
  }

  uint64_t written_bytes() const noexcept {
    return written_bytes_;
  }

private:
  int fd_;
  uint32_t crc_;
  uint64_t written_bytes_ = 0;
};

/// Where the data of a snapshot file comes from: ends after data_len bytes;
/// keeps the running checksum.
class snapshot_source {
public:
  snapshot_source(int fd, uint64_t size_bytes, uint32_t crc,
                  bool sealed = false, const std::string* meta_bytes = nullptr);

  /// Reads up to `size` bytes; returns how many, 0 at the end of the data,
  /// -1 on an error or a premature end of file.
  long read(void* data, size_t size);

  uint64_t remaining_bytes() const noexcept {
    return remaining_bytes_;
  }

  uint32_t crc() const noexcept {
    return crc_;
  }

  /// Whether the file is a sealed one ("ASSNAPE1").
  bool sealed() const noexcept {
    return sealed_;
  }

  /// The serialized metadata of the file (empty if not given).
  const std::string& meta_bytes() const noexcept {
    static const std::string none;
    return meta_bytes_ != nullptr ? *meta_bytes_ : none;
  }

private:
  int fd_;
  uint64_t remaining_bytes_;
  uint32_t crc_;
  bool sealed_;
  const std::string* meta_bytes_;
};

/// Writes a snapshot file at `path` (created or truncated, mode 0600) and
/// fsyncs it. `body` must write exactly `data_len` bytes to the sink and
/// return 0 (or an errno). Returns 0, an errno, or EIO if the body wrote
/// another length. `sealed` writes the sealed magic (the body then writes
/// one at_rest record).
int write_snapshot_file(const std::string& path,
                        const pb::SnapshotMetadata& meta, uint64_t data_len,
                        const std::function<int(snapshot_sink&)>& body,
                        bool sealed = false);

/// Reads the snapshot file at `path`: checks the header, hands the data to
/// `body` (which returns false if it cannot use it), then checks the
/// checksum. Returns the metadata, or errc::internal "snapshot <path> is
/// corrupt: <why>". On failure whatever `body` produced must be discarded.
result<pb::SnapshotMetadata>
read_snapshot_file(const std::string& path,
                   const std::function<bool(snapshot_source&)>& body);

} // namespace actorswarm::persistence
