#include "net/control_frame.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace actorswarm::net {

namespace {

// Reads exactly n bytes; returns bytes read (< n on EOF) or -1 on error,
// -2 on timeout.
ssize_t read_exact(int fd, char* buf, size_t n, int timeout_ms) {
  size_t got = 0;
  while (got < n) {
    if (timeout_ms >= 0) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, timeout_ms);
      if (r == 0)
        return -2;
      if (r < 0 && errno != EINTR)
        return -1;
      if (r < 0)
        continue;
    }
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r == 0)
      return static_cast<ssize_t>(got);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

} // namespace

frame_status read_frame(int fd, std::string& out, int timeout_ms) {
  unsigned char hdr[4];
  auto r = read_exact(fd, reinterpret_cast<char*>(hdr), 4, timeout_ms);
  if (r == -2)
    return frame_status::timeout;
  if (r < 0)
    return frame_status::io_error;
  if (r == 0)
    return frame_status::closed;
  if (r < 4)
    return frame_status::io_error;
  uint32_t len = (uint32_t{hdr[0]} << 24) | (uint32_t{hdr[1]} << 16)
                 | (uint32_t{hdr[2]} << 8) | uint32_t{hdr[3]};
  if (len > control_frame_size_max_bytes)
    return frame_status::too_large;
  out.resize(len);
  if (len == 0)
    return frame_status::ok;
  r = read_exact(fd, out.data(), len, timeout_ms);
  if (r == -2)
    return frame_status::timeout;
  if (r != static_cast<ssize_t>(len))
    return frame_status::io_error;
  return frame_status::ok;
}

bool write_frame(int fd, const std::string& payload) {
  if (payload.size() > control_frame_size_max_bytes)
    return false;
  auto len = static_cast<uint32_t>(payload.size());
  std::string buf;
  buf.reserve(4 + payload.size());
  buf.push_back(static_cast<char>(len >> 24));
  buf.push_back(static_cast<char>(len >> 16));
  buf.push_back(static_cast<char>(len >> 8));
  buf.push_back(static_cast<char>(len));
  buf += payload;
  size_t sent = 0;
  while (sent < buf.size()) {
    // MSG_NOSIGNAL: a peer that went away is an error to report, not a
    // SIGPIPE that kills the caller (an embedder need not ignore SIGPIPE).
    ssize_t r = ::send(fd, buf.data() + sent, buf.size() - sent, MSG_NOSIGNAL);
    if (r < 0 && errno == ENOTSOCK)
      r = ::write(fd, buf.data() + sent, buf.size() - sent);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    sent += static_cast<size_t>(r);
  }
  return true;
}

} // namespace actorswarm::net
