#pragma once

#include <cstddef>
#include <string>

namespace actorswarm::persistence {

/// "strerror(err)" as a string.
std::string errno_text(int err);

/// Writes all `size` bytes to `fd`, retrying short writes and EINTR.
/// Returns 0 or the errno of the failure.
int write_all(int fd, const void* data, size_t size);

/// Reads exactly `size` bytes from `fd`. Returns 0, the errno of the
/// failure, or -1 at a premature end of file.
int read_exact(int fd, void* data, size_t size);

/// fsync(2) of a directory, so a rename or create in it survives a crash.
/// Returns 0 or the errno of the failure.
int fsync_dir(const std::string& dir);

/// Replaces `dir`/`name` with `content` atomically and durably (write aside,
/// fsync, rename, fsync dir). Returns 0 or the errno of the failure.
int write_file_durably(const std::string& dir, const std::string& name,
                       const std::string& content);

/// Reads a small file whole into `out`. Returns 0 or the errno.
int read_small_file(const std::string& path, std::string& out);

} // namespace actorswarm::persistence
