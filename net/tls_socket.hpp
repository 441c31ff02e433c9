#pragma once

// The plain POSIX sockets under the cluster port's wire (net/tls_wire.hpp):
// IP addresses, a nonblocking listener, nonblocking connects. No TLS.

#include <cstdint>
#include <string>

#include <sys/socket.h>

#include "messages/result.hpp"

namespace actorswarm::net {

/// An IPv4 or IPv6 address with a port.
struct endpoint {
  sockaddr_storage addr = {};
  socklen_t len = 0;
};

/// `host` (an IPv4 or IPv6 literal) and `port`; anything else fails
/// (errc::invalid_spec).
result<endpoint> endpoint_of(const std::string& host, uint16_t port);

/// "IP:PORT" or "[IPv6]:PORT".
result<endpoint> parse_endpoint(const std::string& addr);

/// A nonblocking, close-on-exec listening socket on `at` (SO_REUSEADDR);
/// `port` receives the port it got. Fails with Docker's line
/// "listen tcp HOST:PORT: bind: <reason>" (errc::unavailable).
result<int> listen_on(const std::string& host, const endpoint& at,
                      uint16_t& port);

/// A nonblocking socket connecting to `to` (the connect may still be in
/// progress: wait for writability, then connect_error()).
result<int> connect_to(const endpoint& to);

/// The outcome of a nonblocking connect (0 or an errno value).
int connect_error(int fd);

/// Sets TCP_NODELAY: frames are written whole, small ones must not wait.
void no_delay(int fd);

} // namespace actorswarm::net
