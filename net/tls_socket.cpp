#include "net/tls_socket.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

namespace actorswarm::net {

result<endpoint> endpoint_of(const std::string& host, uint16_t port) {
  endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    e.len = sizeof(sockaddr_in);
    return e;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    e.len = sizeof(sockaddr_in6);
    return e;
  }
  return fail(errc::invalid_spec, "not an IP address: " + host);
}

result<endpoint> parse_endpoint(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size()
      || addr.size() - colon > 6)
    return fail(errc::invalid_spec, "not an IP:PORT address: " + addr);
  auto host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  for (auto ch : addr.substr(colon + 1)) {
    if (ch < '0' || ch > '9')
      return fail(errc::invalid_spec, "not an IP:PORT address: " + addr);
    port = port * 10 + static_cast<unsigned long>(ch - '0');
  }
  if (port == 0 || port > 65535)
    return fail(errc::invalid_spec, "not an IP:PORT address: " + addr);
  return endpoint_of(host, static_cast<uint16_t>(port));
}

result<int> listen_on(const std::string& host, const endpoint& at,
                      uint16_t& port) {
  auto refuse = [&](const char* step) {
    auto reason = std::string{std::strerror(errno)};
    for (auto& ch : reason)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return fail(errc::unavailable, "listen tcp " + host + ":"
                                     + std::to_string(port) + ": " + step + ": "
                                     + reason);
  };
  int fd = ::socket(at.addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return refuse("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&at.addr), at.len) != 0
      || ::listen(fd, SOMAXCONN) != 0) {
    auto r = refuse("bind");
    ::close(fd);
    return r;
  }
  sockaddr_storage got = {};
  socklen_t len = sizeof(got);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len);
  port = got.ss_family == AF_INET6
           ? ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port)
           : ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  return fd;
}

result<int> connect_to(const endpoint& to) {
  int fd = ::socket(to.addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail(errc::unavailable, std::strerror(errno));
  no_delay(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0
      && errno != EINPROGRESS) {
    auto r = fail(errc::unavailable, std::strerror(errno));
    ::close(fd);
    return r;
  }
  return fd;
}

int connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return errno;
  return err;
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

} // namespace actorswarm::net
