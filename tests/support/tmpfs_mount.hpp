#pragma once

// A small tmpfs a test mounts where it needs a disk that fills (root only;
// the caller skips or fails when mounted() is false). Unmounted lazily at
// the end, since a daemon may still hold files in it.

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace actorswarm::test {

class tmpfs_mount {
public:
  /// Mounts a tmpfs of `size` ("48m") on `path` (created if missing). After
  /// unmounting, removes `cleanup` if not empty (a dir the test's fixture
  /// could not remove while the tmpfs was mounted on it).
  tmpfs_mount(const std::string& path, const std::string& size,
              std::string cleanup = {})
    : path_(path), cleanup_(std::move(cleanup)) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    auto opts = "size=" + size + ",mode=0700";
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }

  ~tmpfs_mount() {
    if (mounted_)
      ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    if (!cleanup_.empty())
      std::filesystem::remove_all(cleanup_, ec);
  }

  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  bool mounted() const {
    return mounted_;
  }

private:
  std::string path_;
  std::string cleanup_;
  bool mounted_ = false;
};

/// Bytes an unprivileged writer may still write on the filesystem of `path`.
inline uint64_t free_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0)
    return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

} // namespace actorswarm::test
