#include "net/control_frame.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace actorswarm::net {

namespace {

using steady = std::chrono::steady_clock;

/// Bytes asked of one read() of a body: the buffer grows by at most this
/// beyond what arrived.
constexpr size_t read_chunk_bytes = 64 * 1024;

/// A buffer left this much larger than needed by an earlier frame is let go.
constexpr size_t keep_capacity_bytes = 1024 * 1024;

/// Reads one frame's bytes from `fd`, enforcing the idle timeout per read
/// and, from the frame's first byte on, its deadline.
class frame_reader {
public:
  frame_reader(int fd, const frame_limits& lim) : fd_(fd), lim_(lim) {
    // nop
  }

  /// Reads up to `n` bytes into `buf`: the count (> 0), 0 at end of stream,
  /// -1 on error, -2 on timeout.
  ssize_t read_some(char* buf, size_t n) {
    for (;;) {
      int wait = lim_.idle_timeout_ms;
      if (started_ && lim_.frame_deadline_ms >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline_ - steady::now())
                      .count();
        if (left <= 0)
          return -2;
        if (wait < 0 || left < wait)
          wait = static_cast<int>(left);
      }
      if (wait >= 0) {
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, wait);
        if (r == 0)
          return -2;
        if (r < 0 && errno == EINTR)
          continue;
        if (r < 0)
          return -1;
      }
      ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r > 0 && !started_) {
        started_ = true;
        deadline_ = steady::now()
                    + std::chrono::milliseconds(std::max(lim_.frame_deadline_ms,
                                                         0));
      }
      return r;
    }
  }

  /// Reads exactly `n` bytes into `buf`: n, fewer at end of stream, -1 on
  /// error, -2 on timeout.
  ssize_t read_exact(char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
      auto r = read_some(buf + got, n - got);
      if (r < 0)
        return r;
      if (r == 0)
        break;
      got += static_cast<size_t>(r);
    }
    return static_cast<ssize_t>(got);
  }

private:
  int fd_;
  const frame_limits& lim_;
  bool started_ = false;
  steady::time_point deadline_;
};

} // namespace

frame_status read_frame(int fd, std::string& out, const frame_limits& lim) {
  out.clear();
  if (out.capacity() > keep_capacity_bytes)
    std::string{}.swap(out);
  frame_reader in{fd, lim};
  unsigned char hdr[4];
  auto r = in.read_exact(reinterpret_cast<char*>(hdr), 4);
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
  if (len > lim.max_bytes || len > control_frame_size_max_bytes)
    return frame_status::too_large;
  // Grow with what arrives: never reserve `len`, which the peer chose.
  while (out.size() < len) {
    auto got = out.size();
    auto want = std::min<size_t>(read_chunk_bytes, len - got);
    out.resize(got + want);
    r = in.read_some(out.data() + got, want);
    out.resize(got + static_cast<size_t>(std::max<ssize_t>(r, 0)));
    if (r == -2)
      return frame_status::timeout;
    if (r <= 0)
      return frame_status::io_error;
  }
  return frame_status::ok;
}

frame_status read_frame(int fd, std::string& out, int timeout_ms) {
  frame_limits lim;
  lim.idle_timeout_ms = timeout_ms;
  lim.frame_deadline_ms = timeout_ms;
  return read_frame(fd, out, lim);
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
