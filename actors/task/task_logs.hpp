#pragma once

// Task output files for `service logs` (DESIGN.md, Task runtimes; issue #9,
// defect 6). A task's stdout and stderr are a FIFO, `<tasks_dir>/<task_id>/
// output.pipe`; the daemon's output pump (os/output_pump.hpp) drains it into
// `output.log` through a log_writer, which rotates by renaming (`output.log`
// -> `output.log.1`, ...) before the file passes log_size_max_bytes, keeping
// `log_files_max` files. So a task's logs never hold more than
// log_size_max_bytes * log_files_max bytes (plus a bounded index), however
// fast it writes: when the pump falls behind, the pipe fills and the task
// blocks in write(2) (back-pressure, as Docker's json-file driver does).
//
// The task outlives the daemon: the task holds a read end of its own FIFO
// (its stdout is opened read-write), so a write never raises SIGPIPE while
// the daemon is down; the output waits in the pipe (1 MiB) and the task
// blocks once it is full, until a restarted daemon resumes the pump.
//
// Node bound: the files of finished tasks stay until their task leaves the
// task history (`swarm update --task-history-limit`); the agent's pass
// (trim_node) also removes them, oldest rotated files first, while all task
// logs of the node exceed node_log_bytes_max. Running tasks are bounded by
// the per-task cap alone, so a node holds at most node_log_bytes_max plus
// running tasks times the per-task bound.
//
// Timestamp precision: the sidecar index (log_index.hpp) gets one line per
// index_interval_ns of output at most; a line gets the time of the last index
// line at or before it, so it is early by up to that interval.
//
// Offsets are global: byte k of the task's whole output has offset k, across
// rotations, so a follower's offset stays valid after a rotation.

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::task {

/// Size limits of task logs (docker's json-file max-size / max-file).
struct log_config {
  /// The current file is rotated before it grows beyond this.
  uint64_t log_size_max_bytes = 10u * 1024 * 1024;
  /// Files kept per task, the current one included (>= 1).
  uint32_t log_files_max = 2;
  /// At most one index line per this much wall time.
  int64_t index_interval_ns = 10'000'000;
  /// The index is thinned (every second line dropped) beyond this.
  size_t index_entries_max = 16384;
  /// Finished tasks' logs are removed, oldest first, while the logs of all
  /// tasks of the node exceed this (see trim_node).
  uint64_t node_log_bytes_max = 1024ull * 1024 * 1024;
};

/// One line of output, without its newline.
struct log_line {
  std::string text;
  /// Wall time the line was written (see precision above).
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

/// Log files of all tasks below one directory, for readers. Holds no
/// per-task state: each call reads what it needs from disk, so any thread may
/// call it (the log_writer of a running task writes them meanwhile).
class task_logs {
public:
  /// `tasks_dir`: the agent's directory of task directories.
  task_logs(std::string tasks_dir, log_config cfg);

  /// `<tasks_dir>/<task_id>`.
  std::string task_dir(const std::string& task_id) const;

  /// The task's current log file (the log_writer's).
  std::string log_path(const std::string& task_id) const;

  /// The FIFO that is the task's stdout and stderr.
  std::string pipe_path(const std::string& task_id) const;

  /// Creates the task directory (and parents). Fails with errc::internal.
  status create(const std::string& task_id) const;

  /// The last `n` lines across the rotated files, oldest first.
  result<std::vector<log_line>> tail(const std::string& task_id, size_t n,
                                     int64_t now_ns) const;

  /// Up to `max_bytes` of raw output from global `offset` on (one file per
  /// call; call again with next_offset).
  result<log_chunk> read_from(const std::string& task_id, uint64_t offset,
                              size_t max_bytes) const;

  /// Global offset one past the last byte of the task's output (0 when it
  /// has none).
  uint64_t end_offset(const std::string& task_id) const;

  /// Whether the task has an output file here.
  bool has_log(const std::string& task_id) const;

  /// Deletes the task directory and all its logs.
  status remove(const std::string& task_id) const;

  /// The ids of the task directories present (at most `max` of them).
  std::vector<std::string> task_ids(size_t max) const;

  /// The node bound: while the files of all task directories exceed
  /// node_log_bytes_max, removes files of tasks for which `running` is
  /// false: rotated files first, oldest first, then whole directories,
  /// oldest current file first. Running tasks' files are never touched (the
  /// per-task cap bounds them). Returns the bytes removed.
  uint64_t
  trim_node(const std::function<bool(const std::string&)>& running) const;

  /// The configuration in use.
  const log_config& config() const {
    return cfg_;
  }

private:
  std::string tasks_dir_;
  log_config cfg_;
};

} // namespace actorswarm::task
