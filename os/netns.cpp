#include "os/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "messages/assert.hpp"

namespace actorswarm::os {

namespace {

constexpr const char* thread_netns_path = "/proc/thread-self/ns/net";

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// Switches the calling thread back to the namespace it was in when the guard
// was made. Going back cannot be allowed to fail: see netns.hpp.
class thread_netns_guard {
public:
  explicit thread_netns_guard(netns home) : home_(std::move(home)) {
    // nop
  }

  ~thread_netns_guard() {
    if (::setns(home_.fd(), CLONE_NEWNET) != 0)
      AS_FAIL_STOP("setns back to the thread's own network namespace failed");
  }

  thread_netns_guard(const thread_netns_guard&) = delete;
  thread_netns_guard& operator=(const thread_netns_guard&) = delete;

private:
  netns home_;
};

// Turns IPv6 off in the calling thread's (new) namespace, for all devices
// to come, as Docker does for containers on IPv4-only networks: no
// link-local addresses, duplicate address detection or MLD on every device
// brought up, which is most of what bringing one up costs. Best effort: a
// kernel without IPv6, or a read-only /proc/sys, leaves it on.
void disable_ipv6() {
  for (auto* path : {"/proc/sys/net/ipv6/conf/all/disable_ipv6",
                     "/proc/sys/net/ipv6/conf/default/disable_ipv6"}) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    [[maybe_unused]] auto n = ::write(fd, "1", 1);
    ::close(fd);
  }
}

} // namespace

// -- netns --------------------------------------------------------------------

netns::~netns() {
  if (fd_ >= 0)
    ::close(fd_);
}

netns::netns(netns&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

netns& netns::operator=(netns&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

result<netns> netns::current() {
  int fd = ::open(thread_netns_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errc::internal, errno_text(thread_netns_path, errno));
  return netns{fd};
}

result<netns> netns::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errno == ENOENT ? errc::not_found : errc::internal,
                errno_text("open network namespace " + path, errno));
  netns out{fd};
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0 || fs.f_type != NSFS_MAGIC
      || ::ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
    return fail(errc::not_found, "not a network namespace: " + path);
  return out;
}

ino_t netns::inode() const {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0)
    return 0;
  return st.st_ino;
}

result<netns> netns::dup() const {
  int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return fail(errc::internal, errno_text("dup network namespace", errno));
  return netns{fd};
}

status run_in_netns(const netns& ns, const std::function<void()>& fn) {
  auto home = netns::current();
  if (!home)
    return home.error();
  if (::setns(ns.fd(), CLONE_NEWNET) != 0)
    return fail(errc::internal, errno_text("setns", errno));
  thread_netns_guard back{std::move(*home)};
  fn();
  return ok_status();
}

// -- netns_dir ----------------------------------------------------------------

netns_dir::netns_dir(std::string path) : path_(std::move(path)) {
  // nop
}

std::string netns_dir::pin_path(const std::string& name) const {
  return path_ + "/" + name;
}

status netns_dir::prepare() {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec)
    return fail(errc::internal, "create " + path_ + ": " + ec.message());
  // As iproute2's netns_add: make the directory a shared mount, binding it
  // onto itself first when it is not a mount point (EINVAL).
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::mount("", path_.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0)
      return ok_status();
    if (errno != EINVAL || attempt > 0)
      break;
    if (::mount(path_.c_str(), path_.c_str(), "none", MS_BIND | MS_REC, nullptr)
        != 0)
      break;
  }
  return fail(errc::internal, errno_text("make " + path_
                                           + " a shared mount "
                                             "point",
                                         errno));
}

status netns_dir::release() {
  if (::umount2(path_.c_str(), MNT_DETACH) != 0 && errno != EINVAL
      && errno != ENOENT)
    return fail(errc::internal, errno_text("unmount " + path_, errno));
  return ok_status();
}

result<netns> netns_dir::create(const std::string& name) {
  auto path = pin_path(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return fail(errno == EEXIST ? errc::name_conflict : errc::internal,
                errno_text("create " + path, errno));
  ::close(fd);
  auto home = netns::current();
  if (!home) {
    ::unlink(path.c_str());
    return home.error();
  }
  int made = -1;
  std::string error;
  if (::unshare(CLONE_NEWNET) != 0) {
    error = errno_text("unshare(CLONE_NEWNET)", errno);
  } else {
    thread_netns_guard back{std::move(*home)};
    if (::mount(thread_netns_path, path.c_str(), "none", MS_BIND, nullptr) != 0)
      error = errno_text("pin network namespace at " + path, errno);
    else if ((made = ::open(thread_netns_path, O_RDONLY | O_CLOEXEC)) < 0)
      error = errno_text(thread_netns_path, errno);
    else
      disable_ipv6(); // /proc/sys/net is the opener's namespace: the new one
  }
  if (made < 0) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    return fail(errc::internal, error);
  }
  return netns{made};
}

result<netns> netns_dir::open(const std::string& name) const {
  return netns::open(pin_path(name));
}

status netns_dir::remove(const std::string& name) {
  auto path = pin_path(name);
  // EINVAL: not a mount point (a stale file); ENOENT: already gone.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL
      && errno != ENOENT)
    return fail(errc::internal, errno_text("unmount " + path, errno));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail(errc::internal, errno_text("remove " + path, errno));
  return ok_status();
}

result<std::vector<pinned_netns>> netns_dir::list() const {
  DIR* dir = ::opendir(path_.c_str());
  if (dir == nullptr)
    return fail(errno == ENOENT ? errc::not_found : errc::internal,
                errno_text("open " + path_, errno));
  std::vector<pinned_netns> out;
  while (auto* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    out.push_back(pinned_netns{name, netns::open(pin_path(name)).ok()});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.name < y.name; });
  return out;
}

} // namespace actorswarm::os
