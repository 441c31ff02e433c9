#pragma once

// Task output files for `service logs` (DESIGN.md, Task runtimes). A task's
// stdout and stderr go straight to `<tasks_dir>/<task_id>/output.log`
// (O_APPEND), never through the daemon, so the task outlives the daemon. A
// periodic maintenance pass of the agent rotates it (copytruncate, keeping
// `log_files_max` files) and appends to a sidecar index which global byte
// offsets it saw first at which wall time; `--timestamps` reads that index.
//
// Timestamp precision: a line gets the wall time of the first maintenance
// pass that saw its bytes, so it is late by up to one pass interval. Bytes no
// pass has seen yet get the reader's `now_ns`. Copytruncate loses what the
// task writes between the copy and the truncate (a few bytes at most), and a
// line may be split across two files at a rotation.
//
// Offsets are global: byte k of the task's whole output has offset k, across
// rotations, so a follower's offset stays valid after a rotation.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::task {

/// Size limits of task logs (docker's json-file max-size / max-file).
struct log_config {
  /// Rotate the current file when it grows beyond this.
  uint64_t log_size_max_bytes = 10u * 1024 * 1024;
  /// Files kept per task, the current one included (>= 1).
  uint32_t log_files_max = 3;
};

/// One line of output, without its newline.
struct log_line {
  std::string text;
  /// Wall time the maintenance pass first saw the line (see precision above).
  int64_t time_ns = 0;
  /// Global offset of the line's first byte.
  uint64_t offset = 0;
};

/// A chunk of raw output for `logs --follow`.
struct log_chunk {
  std::string bytes;
  /// Global offset of bytes[0]: later than asked if rotation dropped output.
  uint64_t offset = 0;
  /// Where the next read_from should start.
  uint64_t next_offset = 0;
};

/// Passed as `n` to tail(): every line kept on disk.
constexpr size_t all_lines = std::numeric_limits<size_t>::max();

/// Log files of all tasks below one directory. Holds no per-task state: each
/// call reads what it needs from disk, so any thread may call it for a task
/// as long as one thread at a time runs maintain() for that task.
class task_logs {
public:
  /// `tasks_dir`: the agent's directory of task directories.
  task_logs(std::string tasks_dir, log_config cfg);

  /// `<tasks_dir>/<task_id>`.
  std::string task_dir(const std::string& task_id) const;

  /// The file the task's stdout and stderr append to.
  std::string log_path(const std::string& task_id) const;

  /// Creates the task directory (and parents). Fails with errc::internal.
  status create(const std::string& task_id) const;

  /// Maintenance pass at wall time `now_ns`: indexes bytes written since the
  /// last pass and rotates when the file exceeds log_size_max_bytes.
  status maintain(const std::string& task_id, int64_t now_ns) const;

  /// The last `n` lines across the rotated files, oldest first.
  result<std::vector<log_line>> tail(const std::string& task_id, size_t n,
                                     int64_t now_ns) const;

  /// Up to `max_bytes` of raw output from global `offset` on (one file per
  /// call; call again with next_offset).
  result<log_chunk> read_from(const std::string& task_id, uint64_t offset,
                              size_t max_bytes) const;

  /// Deletes the task directory and all its logs.
  status remove(const std::string& task_id) const;

  /// The configuration in use.
  const log_config& config() const {
    return cfg_;
  }

private:
  std::string tasks_dir_;
  log_config cfg_;
};

} // namespace actorswarm::task
