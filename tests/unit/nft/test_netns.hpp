#pragma once

// Minimal network namespace helpers for the nft tests (the product's
// namespace code is os/netns.*, owned elsewhere): a fresh namespace held by
// an fd, and running a function inside one on a thread of its own. Root
// only; callers skip otherwise.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

namespace actorswarm::nft::test {

/// True if the process may create namespaces, devices and rules.
inline bool is_root() {
  return ::geteuid() == 0;
}

/// Runs `fn` on a fresh thread inside the namespace `fd`.
inline void in_ns(int fd, const std::function<void()>& fn) {
  std::thread t([&] {
    if (::setns(fd, CLONE_NEWNET) != 0)
      return;
    fn();
  });
  t.join();
}

/// A new, empty network namespace (only `lo`, down), removed when the last
/// fd or process inside it goes.
class netns {
public:
  netns() {
    std::thread t([this] {
      if (::unshare(CLONE_NEWNET) == 0)
        fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    });
    t.join();
  }

  netns(const netns&) = delete;
  netns& operator=(const netns&) = delete;

  ~netns() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  int fd() const {
    return fd_;
  }

  bool ok() const {
    return fd_ >= 0;
  }

  /// This namespace as /proc/PID/ns/net-like path usable by `ip netns exec`
  /// style tools: /proc/self/fd/N.
  std::string path() const {
    return "/proc/self/fd/" + std::to_string(fd_);
  }

private:
  int fd_ = -1;
};

} // namespace actorswarm::nft::test
