#include "net/control_client.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/control_frame.hpp"

namespace actorswarm::net {

namespace {

/// Upper bound on reply frames of one call, so a misbehaving daemon cannot
/// keep a non-follow call alive forever. logs -f streams are unbounded in
/// time but each frame is handed to the caller, who may stop.
constexpr uint64_t reply_frames_max = uint64_t{1} << 40;

} // namespace

bool parse_unix_addr(const std::string& addr, std::string& path) {
  static const std::string scheme = "unix://";
  if (addr.compare(0, scheme.size(), scheme) != 0
      || addr.size() == scheme.size())
    return false;
  path = addr.substr(scheme.size());
  return true;
}

int connect_unix(const std::string& socket_path, std::string& err) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(sa.sun_path)) {
    err = "socket path too long or empty";
    return -1;
  }
  std::memcpy(sa.sun_path, socket_path.data(), socket_path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::strerror(errno);
    return -1;
  }
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    err = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

call_outcome control_call_fd(int fd, const pb::ControlRequest& req,
                             const reply_handler& on_reply, int timeout_ms) {
  std::string buf;
  if (!req.SerializeToString(&buf))
    return {call_status::bad_reply, "cannot serialize request"};
  if (!write_frame(fd, buf))
    return {call_status::io_error, std::strerror(errno)};
  for (uint64_t i = 0; i < reply_frames_max; ++i) {
    switch (read_frame(fd, buf, timeout_ms)) {
      case frame_status::ok:
        break;
      case frame_status::closed:
        return {call_status::io_error, "the daemon closed the connection"};
      case frame_status::too_large:
        return {call_status::bad_reply, "reply frame too large"};
      case frame_status::timeout:
        return {call_status::timeout, "no reply from the daemon"};
      case frame_status::io_error:
        return {call_status::io_error, "connection broken"};
    }
    pb::ControlReply reply;
    if (!reply.ParseFromString(buf))
      return {call_status::bad_reply, "malformed reply frame"};
    if (!on_reply(reply))
      return {call_status::stopped, ""};
    if (!reply.more())
      return {call_status::ok, ""};
  }
  return {call_status::bad_reply, "too many reply frames"};
}

call_outcome control_call(const std::string& socket_path,
                          const pb::ControlRequest& req,
                          const reply_handler& on_reply, int timeout_ms) {
  std::string err;
  int fd = connect_unix(socket_path, err);
  if (fd < 0)
    return {call_status::unreachable, err};
  auto out = control_call_fd(fd, req, on_reply, timeout_ms);
  ::close(fd);
  return out;
}

} // namespace actorswarm::net
