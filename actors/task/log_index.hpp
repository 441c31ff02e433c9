#pragma once

// The files of one task's output and their sidecar time index, shared by the
// writer (log_writer, on the output pump's thread) and the readers
// (task_logs: `service logs`, any thread). See task_logs.hpp for the layout.
//
// The index `output.log.idx`: a line `base <offset>` (global offset of the
// current file's first byte), then `<offset> <ns>` lines, offsets ascending:
// the bytes from that offset on were written at wall time ns or later (up to
// the next line's offset). A line's time is that of the last index line at
// or before its first byte.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::task {

/// The index of one task's output, as read from or written to disk.
struct log_index {
  uint64_t base = 0;
  std::vector<std::pair<uint64_t, int64_t>> entries;

  /// Write time of global offset `off`, or `fallback_ns` if no line covers it.
  int64_t time_of(uint64_t off, int64_t fallback_ns) const;

  /// Drops the lines for bytes before `oldest` (no longer on disk), keeping
  /// the one that still dates the byte at `oldest`.
  void trim_before(uint64_t oldest);

  /// Keeps the first, the last and every second line between (lines get
  /// coarser times): how the index stays bounded for a task that never
  /// rotates.
  void thin();
};

/// `<log>.idx`.
std::string index_path(const std::string& log);

/// `<log>.<k>`: the k-th newest rotated file (k >= 1).
std::string rotated_path(const std::string& log, uint32_t k);

/// Size of a file, 0 if it does not exist.
uint64_t file_size(const std::string& path);

/// The index of `log`; an empty one (base 0) if it is missing or unreadable.
log_index load_index(const std::string& log);

/// Rewrites the index aside and renames it into place (no sync: logs are not
/// durable state; a torn index only loses timestamps).
status save_index(const std::string& log, const log_index& idx);

} // namespace actorswarm::task
