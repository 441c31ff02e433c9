#pragma once

// Test-only plumbing for the nft root tests: `ip` commands run inside a
// namespace of the test's own, and small TCP/UDP servers that answer with
// their name, so a client can tell which backend took its connection.
// Everything lives in anonymous namespaces held by fds (test_netns.hpp): the
// kernel removes them, with their devices and rules, when the test ends,
// even when it crashes. Every wait is bounded by a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "test_netns.hpp"

namespace actorswarm::nft::test {

/// Runs the shell command `cmd` inside namespace `ns`; its exit status.
inline int sh(const netns& ns, const std::string& cmd) {
  int rc = -1;
  in_ns(ns.fd(), [&] { rc = std::system(cmd.c_str()); });
  return rc;
}

/// Writes `value` to /proc/sys/`key` as seen inside namespace `ns`.
inline bool sysctl(const netns& ns, const std::string& key,
                   const std::string& value) {
  bool ok = false;
  in_ns(ns.fd(), [&] {
    std::ofstream out{"/proc/sys/" + key};
    out << value << "\n";
    out.flush();
    ok = static_cast<bool>(out);
  });
  return ok;
}

/// A path `ip ... netns PATH` accepts for namespace `ns`.
inline std::string ns_path(const netns& ns) {
  return "/proc/" + std::to_string(::getpid()) + "/fd/"
         + std::to_string(ns.fd());
}

inline sockaddr_in make_addr(const std::string& ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

/// A socket created inside namespace `ns` (a socket keeps its namespace).
inline int socket_in(const netns& ns, int type) {
  int fd = -1;
  in_ns(ns.fd(), [&] { fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0); });
  return fd;
}

/// Answers every TCP connection and UDP datagram on `port` (any address of
/// its namespace) with `name`, on a thread of its own, until destroyed.
class name_server {
public:
  name_server(const netns& ns, uint16_t port, std::string name)
    : name_(std::move(name)) {
    tcp_ = socket_in(ns, SOCK_STREAM);
    udp_ = socket_in(ns, SOCK_DGRAM);
    auto sa = make_addr("0.0.0.0", port);
    int one = 1;
    ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    auto* p = reinterpret_cast<sockaddr*>(&sa);
    ok_ = ::bind(tcp_, p, sizeof(sa)) == 0 && ::listen(tcp_, 64) == 0
          && ::bind(udp_, p, sizeof(sa)) == 0;
    worker_ = std::thread([this] { serve(); });
  }

  ~name_server() {
    stop_ = true;
    worker_.join();
    ::close(tcp_);
    ::close(udp_);
  }

  bool ok() const {
    return ok_;
  }

private:
  void serve() {
    while (!stop_) {
      pollfd fds[2] = {{tcp_, POLLIN, 0}, {udp_, POLLIN, 0}};
      if (::poll(fds, 2, 20) <= 0)
        continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          [[maybe_unused]] auto n = ::write(c, name_.data(), name_.size());
          ::close(c);
        }
      }
      if (fds[1].revents & POLLIN) {
        char buf[64];
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        auto* p = reinterpret_cast<sockaddr*>(&from);
        if (::recvfrom(udp_, buf, sizeof(buf), 0, p, &len) >= 0)
          ::sendto(udp_, name_.data(), name_.size(), 0, p, len);
      }
    }
  }

  std::string name_;
  int tcp_ = -1;
  int udp_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

/// What a client got: the server's name, or the errno of the failure
/// (ETIMEDOUT when nothing came within the deadline).
struct answer {
  std::string name;
  int error = 0;
};

// Reads what the peer sends until EOF or the deadline.
inline answer read_all(int fd, int timeout_ms) {
  answer out;
  auto end = std::chrono::steady_clock::now()
             + std::chrono::milliseconds(timeout_ms);
  for (int i = 0; i < 64; ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  end - std::chrono::steady_clock::now())
                  .count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      out.error = ETIMEDOUT;
      return out;
    }
    char buf[64];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      out.error = errno;
      return out;
    }
    if (n == 0)
      return out;
    out.name.append(buf, static_cast<size_t>(n));
  }
  return out;
}

/// Connects from namespace `ns` to ip:port over TCP and reads the answer.
inline answer tcp_ask(const netns& ns, const std::string& ip, uint16_t port,
                      int timeout_ms = 2000) {
  answer out;
  int fd = socket_in(ns, SOCK_STREAM | SOCK_NONBLOCK);
  auto sa = make_addr(ip, port);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  if (rc != 0 && errno != EINPROGRESS) {
    out.error = errno;
    ::close(fd);
    return out;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) {
    out.error = ETIMEDOUT;
    ::close(fd);
    return out;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    out.error = err;
    ::close(fd);
    return out;
  }
  out = read_all(fd, timeout_ms);
  ::close(fd);
  return out;
}

/// Sends one datagram from a new socket in `ns` to ip:port and reads the
/// answer (a new source port per call: a new flow for conntrack).
inline answer udp_ask(const netns& ns, const std::string& ip, uint16_t port,
                      int timeout_ms = 2000) {
  answer out;
  int fd = socket_in(ns, SOCK_DGRAM | SOCK_NONBLOCK);
  auto sa = make_addr(ip, port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || ::send(fd, "?", 1, 0) != 1) {
    out.error = errno;
    ::close(fd);
    return out;
  }
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) {
    out.error = ETIMEDOUT;
    ::close(fd);
    return out;
  }
  char buf[64];
  auto n = ::recv(fd, buf, sizeof(buf), 0);
  if (n < 0)
    out.error = errno;
  else
    out.name.assign(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

} // namespace actorswarm::nft::test
