#include "persistence/file_util.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace actorswarm::persistence {

std::string errno_text(int err) {
  if (err < 0)
    return "unexpected end of file";
  return std::strerror(err);
}

int write_all(int fd, const void* data, size_t size) {
  auto p = static_cast<const char*>(data);
  // Each round writes at least one byte or fails, so this ends.
  while (size > 0) {
    auto n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int read_exact(int fd, void* data, size_t size) {
  auto p = static_cast<char*>(data);
  while (size > 0) {
    auto n = ::read(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return -1;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

int write_file_durably(const std::string& dir, const std::string& name,
                       const std::string& content) {
  auto tmp = dir + "/" + name + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno;
  int err = write_all(fd, content.data(), content.size());
  if (err == 0 && ::fsync(fd) != 0)
    err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0)
    err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return err;
  }
  return fsync_dir(dir);
}

int read_small_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  out.clear();
  char buf[4096];
  int err = 0;
  // Small files only: bounded by the 1 MiB cap below.
  while (out.size() < (1u << 20)) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      err = errno;
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return err;
}

} // namespace actorswarm::persistence
