#include "net/control_listen.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace actorswarm::net {

namespace {

bool fill_addr(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

bool someone_serves(const sockaddr_un& addr) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr),
                      sizeof(addr))
            == 0;
  ::close(fd);
  return ok;
}

// getgrnam_r with a buffer that grows (bounded) on ERANGE.
result<gid_t> lookup_group(const std::string& name, bool& found) {
  found = false;
  std::vector<char> buf(16 * 1024);
  for (int i = 0; i < 8; ++i) {
    group g{};
    group* out = nullptr;
    int r = ::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &out);
    if (r == ERANGE) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (r != 0 && r != ENOENT && r != ESRCH)
      return fail(errc::internal,
                  "cannot look up group " + name + ": " + std::strerror(r));
    if (out == nullptr)
      return gid_t{0};
    found = true;
    return out->gr_gid;
  }
  return fail(errc::internal,
              "cannot look up group " + name + ": group entry too large");
}

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 9)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

// What is at `path`: nothing, a socket nobody serves, or a refusal.
result<bool> stale_socket_at(const std::string& path, const sockaddr_un& addr) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return false;
    return fail(errc::internal,
                "cannot listen on " + path + ": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode))
    return fail(errc::refused,
                "cannot listen on " + path
                  + ": the path exists and is not a socket; move it away or "
                    "choose another --control-addr");
  if (someone_serves(addr))
    return fail(errc::refused,
                "another actorswarm daemon is already serving " + path);
  return true;
}

} // namespace

status check_control_path(const std::string& path) {
  sockaddr_un addr;
  if (!fill_addr(path, addr))
    return fail(errc::invalid_spec,
                "control socket path empty or too long: " + path);
  auto stale = stale_socket_at(path, addr);
  if (!stale)
    return stale.error();
  return ok_status();
}

result<int> listen_control_socket(const std::string& path, gid_t group) {
  sockaddr_un addr;
  if (!fill_addr(path, addr))
    return fail(errc::invalid_spec,
                "control socket path empty or too long: " + path);
  auto stale = stale_socket_at(path, addr);
  if (!stale)
    return stale.error();
  // A socket nobody listens on: left by a daemon that died.
  if (*stale && ::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail(errc::internal, "cannot remove the stale socket " + path + ": "
                                  + std::strerror(errno));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail(errc::internal,
                "cannot listen on " + path + ": " + std::strerror(errno));
  auto old = ::umask(0117);
  int r = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (r != 0) {
    auto err = std::string{std::strerror(errno)};
    ::close(fd);
    return fail(errc::internal, "cannot listen on " + path + ": " + err);
  }
  // The file is ours from here: on failure it goes away with the fd.
  auto give_up = [&](const std::string& what) {
    auto err = std::string{std::strerror(errno)};
    ::close(fd);
    ::unlink(path.c_str());
    return fail(errc::internal, what + ": " + err);
  };
  if (::chown(path.c_str(), static_cast<uid_t>(-1), group) != 0)
    return give_up("cannot give " + path + " to group "
                   + std::to_string(group));
  if (::chmod(path.c_str(), 0660) != 0)
    return give_up("cannot set the mode of " + path);
  if (::listen(fd, 128) != 0)
    return give_up("cannot listen on " + path);
  return fd;
}

result<gid_t> resolve_socket_group(const std::string& name) {
  bool found = false;
  auto wanted = name.empty() ? std::string{default_socket_group} : name;
  auto gid = lookup_group(wanted, found);
  if (!gid)
    return gid.error();
  if (found)
    return *gid;
  if (name.empty())
    return ::getgid();
  // dockerd: a number that names no group is still a gid.
  if (all_digits(name))
    return static_cast<gid_t>(std::stoul(name));
  return fail(errc::invalid_spec, "group " + name + " not found");
}

} // namespace actorswarm::net
