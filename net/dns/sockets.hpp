#pragma once

// The sockets of the embedded DNS and where they live. A socket keeps the
// network namespace it was created in, so the server's UDP and TCP sockets
// for a task are created inside the task's namespace (on a short-lived
// thread that joins it with setns; the daemon's own threads never change
// namespace) and then served from the daemon's namespace like any other fd.
// Upstream resolvers are reached from the daemon's namespace.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "messages/result.hpp"

namespace actorswarm::dns {

/// The address a task's resolv.conf names (Docker's).
constexpr const char* task_dns_ip = "127.0.0.11";
constexpr uint16_t task_dns_port = 53;

/// A bound, non-blocking UDP socket and a listening, non-blocking TCP
/// socket on the same address. Owns both fds (closes them when destroyed
/// unless they were released).
class dns_sockets {
public:
  dns_sockets() = default;
  dns_sockets(int udp, int tcp) : udp_(udp), tcp_(tcp) {
  }
  dns_sockets(dns_sockets&& o) noexcept;
  dns_sockets& operator=(dns_sockets&& o) noexcept;
  dns_sockets(const dns_sockets&) = delete;
  dns_sockets& operator=(const dns_sockets&) = delete;
  ~dns_sockets();

  int udp() const noexcept {
    return udp_;
  }
  int tcp() const noexcept {
    return tcp_;
  }
  /// The port the sockets are bound to (the UDP one's).
  uint16_t port() const;

  /// Hands both fds to the caller (the server takes them).
  void release() noexcept {
    udp_ = tcp_ = -1;
  }

private:
  int udp_ = -1;
  int tcp_ = -1;
};

/// Opens the sockets at `ip`:`port` in the calling thread's namespace
/// (port 0: one the kernel picks, the same for TCP as for UDP).
result<dns_sockets> open_dns_sockets(const std::string& ip, uint16_t port);

/// Opens them inside the network namespace `netns_fd` refers to (an open
/// fd of /proc/<pid>/ns/net or of a pinned bind mount of it), from a
/// thread that joins that namespace and ends. Needs CAP_SYS_ADMIN.
result<dns_sockets> open_dns_sockets_in(int netns_fd, const std::string& ip,
                                        uint16_t port);

/// The same for a namespace given by path (opened and closed here).
result<dns_sockets> open_dns_sockets_in(const std::string& netns_path,
                                        const std::string& ip, uint16_t port);

/// An upstream resolver's address (IPv4 or IPv6, with port).
struct endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;

  int family() const noexcept {
    return addr.ss_family;
  }
  bool operator==(const endpoint& o) const;
  std::string to_string() const;
};

/// Parses "IP:PORT", "[IPv6]:PORT" or a bare IP (port `default_port`).
result<endpoint> parse_endpoint(std::string_view text,
                                uint16_t default_port = 53);

/// The upstream resolvers of a resolv.conf's text: its `nameserver` lines,
/// in order, port 53, without 127.0.0.11 (ourselves, in a task). Lines it
/// cannot read are skipped.
std::vector<endpoint> parse_resolv_conf(std::string_view text);

/// The search domains of a resolv.conf's text (its last `search` or
/// `domain` line, as glibc reads it), for server_config::search_domains.
std::vector<std::string> parse_resolv_search(std::string_view text);

/// parse_resolv_conf of the file at `path` (none when it cannot be read).
std::vector<endpoint>
read_resolv_conf(const std::string& path = "/etc/resolv.conf");

} // namespace actorswarm::dns
