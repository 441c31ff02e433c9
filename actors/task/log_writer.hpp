#pragma once

// Writes one task's output into size-capped files (issue #9, defect 6). The
// output pump (os/output_pump.hpp) reads the task's pipe and calls write();
// when the current file `output.log` would grow past log_size_max_bytes, it
// is rotated by renaming (`.k` -> `.k+1`, the oldest replaced, `output.log`
// -> `.1`) and a new one is opened. Renaming needs no free space and frees
// the oldest file's blocks at once, so the task's files never hold more than
// log_size_max_bytes * log_files_max bytes, at every moment (plus the index,
// at most index_entries_max lines). A rotation ends the full file at its last
// newline when one fits, or before a line that does not fit, so lines are
// only split when longer than the cap.
//
// Errors (ENOSPC, a removed task directory) drop the output and are logged
// once per writer: the task keeps running, its output is then lost.

#include <cstdint>
#include <string>

#include "actors/task/log_index.hpp"
#include "actors/task/task_logs.hpp"
#include "os/output_pump.hpp"

namespace actorswarm::task {

/// The sink of one task's output. Used on the pump thread only.
class log_writer : public output_sink {
public:
  /// Continues `log`'s files as an earlier writer (or daemon) left them:
  /// appends to `log`, keeps its index base. Never fails: if `log` cannot be
  /// opened, every write is dropped (dropped_bytes()).
  log_writer(std::string log, log_config cfg);
  ~log_writer() override;

  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  void write(const char* data, size_t n, int64_t now_ns) override;

  /// Bytes written to the current file.
  uint64_t size() const {
    return size_;
  }

  /// Global offset of the next byte (base of the current file + size()).
  uint64_t end_offset() const {
    return idx_.base + size_;
  }

  /// Bytes lost to write errors.
  uint64_t dropped_bytes() const {
    return dropped_;
  }

private:
  bool rotate();
  void note_time(int64_t now_ns);
  void open_index();
  void drop(size_t n, int err);

  std::string log_;
  log_config cfg_;
  int fd_ = -1;
  int idx_fd_ = -1;
  uint64_t size_ = 0;
  log_index idx_;
  int64_t last_note_ns_ = 0;
  uint64_t dropped_ = 0;
  bool reported_ = false;
};

} // namespace actorswarm::task
