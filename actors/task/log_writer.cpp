#include "actors/task/log_writer.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "messages/log.hpp"

namespace actorswarm::task {

namespace {

constexpr int log_flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
constexpr mode_t log_mode = 0640;

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

log_writer::log_writer(std::string log, log_config cfg)
  : log_(std::move(log)), cfg_(cfg) {
  if (cfg_.log_files_max == 0)
    cfg_.log_files_max = 1;
  if (cfg_.log_size_max_bytes == 0)
    cfg_.log_size_max_bytes = 1;
  idx_ = load_index(log_);
  fd_ = ::open(log_.c_str(), log_flags, log_mode);
  if (fd_ < 0) {
    drop(0, errno);
    return;
  }
  size_ = file_size(log_);
  if (save_index(log_, idx_))
    open_index();
}

log_writer::~log_writer() {
  close_fd(fd_);
  close_fd(idx_fd_);
}

void log_writer::open_index() {
  close_fd(idx_fd_);
  idx_fd_ = ::open(index_path(log_).c_str(), log_flags, log_mode);
}

void log_writer::drop(size_t n, int err) {
  dropped_ += n;
  if (reported_)
    return;
  reported_ = true;
  logger("task")->warn("task output dropped log={} error=\"{}\"", log_,
                       std::strerror(err));
}

// One index line per index_interval_ns at most: the bytes from the current
// end on were written now or later.
void log_writer::note_time(int64_t now_ns) {
  if (!idx_.entries.empty() && now_ns - last_note_ns_ < cfg_.index_interval_ns)
    return;
  last_note_ns_ = now_ns;
  idx_.entries.emplace_back(end_offset(), now_ns);
  if (idx_.entries.size() > cfg_.index_entries_max) {
    idx_.thin();
    if (save_index(log_, idx_))
      open_index();
    return;
  }
  if (idx_fd_ >= 0) {
    auto line = std::to_string(end_offset()) + ' ' + std::to_string(now_ns)
                + '\n';
    [[maybe_unused]] auto w = ::write(idx_fd_, line.data(), line.size());
  }
}

void log_writer::write(const char* data, size_t n, int64_t now_ns) {
  note_time(now_ns);
  // Bounded: every turn writes at least one byte or rotates a non-empty
  // file; a rotation empties the current file, so the next turn writes.
  for (int turn = 0; n > 0; ++turn) {
    if (fd_ < 0 || turn > 1'000'000) {
      drop(n, EIO);
      return;
    }
    uint64_t room = size_ >= cfg_.log_size_max_bytes
                      ? 0
                      : cfg_.log_size_max_bytes - size_;
    if (room == 0) {
      if (!rotate()) {
        drop(n, errno);
        return;
      }
      continue;
    }
    size_t take = n <= room ? n : static_cast<size_t>(room);
    bool full = take < n;
    if (full) {
      // End this file at a line end if one fits; else start the line in a
      // new file (a line longer than the cap is split).
      if (auto* nl = static_cast<const char*>(::memrchr(data, '\n', take))) {
        take = static_cast<size_t>(nl - data) + 1;
      } else if (size_ > 0) {
        if (!rotate()) {
          drop(n, errno);
          return;
        }
        continue;
      }
    }
    auto w = ::write(fd_, data, take);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      drop(n, w < 0 ? errno : EIO);
      return;
    }
    size_ += static_cast<uint64_t>(w);
    data += w;
    n -= static_cast<size_t>(w);
    if (full && static_cast<size_t>(w) == take && !rotate()) {
      drop(n, errno);
      return;
    }
  }
}

// Rotation by renaming: no copy, so it needs no free space, and the oldest
// file is replaced (its blocks freed) before a new file is opened.
bool log_writer::rotate() {
  close_fd(fd_);
  uint32_t k_max = cfg_.log_files_max - 1; // rotated files kept
  for (uint32_t k = k_max; k >= 2; --k)
    ::rename(rotated_path(log_, k - 1).c_str(), rotated_path(log_, k).c_str());
  // A failed rename (the directory is gone) falls through to O_TRUNC below:
  // the file starts over in place, so the bound still holds.
  if (k_max == 0)
    ::unlink(log_.c_str());
  else
    ::rename(log_.c_str(), rotated_path(log_, 1).c_str());
  fd_ = ::open(log_.c_str(), log_flags | O_TRUNC, log_mode);
  idx_.base += size_;
  size_ = 0;
  uint64_t kept = 0;
  for (uint32_t k = 1; k <= k_max; ++k)
    kept += file_size(rotated_path(log_, k));
  idx_.trim_before(idx_.base >= kept ? idx_.base - kept : 0);
  if (save_index(log_, idx_))
    open_index();
  return fd_ >= 0;
}

} // namespace actorswarm::task
