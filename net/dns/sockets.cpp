#include "net/dns/sockets.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sched.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace actorswarm::dns {

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

dns_sockets::dns_sockets(dns_sockets&& o) noexcept
  : udp_(o.udp_), tcp_(o.tcp_) {
  o.release();
}

dns_sockets& dns_sockets::operator=(dns_sockets&& o) noexcept {
  if (this != &o) {
    close_fd(udp_);
    close_fd(tcp_);
    udp_ = o.udp_;
    tcp_ = o.tcp_;
    o.release();
  }
  return *this;
}

dns_sockets::~dns_sockets() {
  close_fd(udp_);
  close_fd(tcp_);
}

uint16_t dns_sockets::port() const {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (udp_ < 0 || getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  if (a.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
}

result<dns_sockets> open_dns_sockets(const std::string& ip, uint16_t port) {
  auto ep = parse_endpoint(ip, port);
  if (!ep)
    return ep.error();
  auto family = ep->family();
  auto where = "dns socket at " + ep->to_string();
  int udp = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (udp < 0)
    return fail(errc::internal, errno_text(where));
  dns_sockets out{udp, -1};
  if (::bind(udp, reinterpret_cast<sockaddr*>(&ep->addr), ep->len) != 0)
    return fail(errc::unavailable, errno_text("bind " + where + "/udp"));
  // TCP on the same port as UDP, also when the kernel picked it.
  auto bound = out.port();
  if (family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&ep->addr)->sin_port = htons(bound);
  else
    reinterpret_cast<sockaddr_in6*>(&ep->addr)->sin6_port = htons(bound);
  int tcp = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (tcp < 0)
    return fail(errc::internal, errno_text(where));
  out.release();
  out = dns_sockets{udp, tcp};
  int one = 1;
  ::setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(tcp, reinterpret_cast<sockaddr*>(&ep->addr), ep->len) != 0)
    return fail(errc::unavailable, errno_text("bind " + where + "/tcp"));
  if (::listen(tcp, 128) != 0)
    return fail(errc::internal, errno_text("listen " + where + "/tcp"));
  return out;
}

result<dns_sockets> open_dns_sockets_in(int netns_fd, const std::string& ip,
                                        uint16_t port) {
  // setns(CLONE_NEWNET) changes the calling thread only; this thread ends
  // right after, so no thread of the daemon ever runs in the task's
  // namespace and nothing has to switch back.
  std::optional<result<dns_sockets>> out;
  std::thread t([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      out.emplace(fail(errc::internal,
                       errno_text("join the task's network namespace")));
      return;
    }
    out.emplace(open_dns_sockets(ip, port));
  });
  t.join();
  return std::move(*out);
}

result<dns_sockets> open_dns_sockets_in(const std::string& netns_path,
                                        const std::string& ip, uint16_t port) {
  int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errc::not_found, errno_text("open " + netns_path));
  auto r = open_dns_sockets_in(fd, ip, port);
  ::close(fd);
  return r;
}

bool endpoint::operator==(const endpoint& o) const {
  if (family() != o.family())
    return false;
  if (family() == AF_INET) {
    auto a = reinterpret_cast<const sockaddr_in*>(&addr);
    auto b = reinterpret_cast<const sockaddr_in*>(&o.addr);
    return a->sin_port == b->sin_port
           && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (family() == AF_INET6) {
    auto a = reinterpret_cast<const sockaddr_in6*>(&addr);
    auto b = reinterpret_cast<const sockaddr_in6*>(&o.addr);
    return a->sin6_port == b->sin6_port
           && std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr)
                == 0;
  }
  return false;
}

std::string endpoint::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    auto a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(a->sin_port));
  }
  auto a = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(a->sin6_port));
}

result<endpoint> parse_endpoint(std::string_view text, uint16_t default_port) {
  auto bad = [&] {
    return fail(errc::invalid_spec, "invalid DNS server address '"
                                      + std::string(text)
                                      + "': expected IP:PORT");
  };
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return bad();
    host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return bad();
      port_text = std::string(rest.substr(1));
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = std::string(text.substr(0, colon));
    port_text = std::string(text.substr(colon + 1));
  } else {
    host = std::string(text);
  }
  uint16_t port = default_port;
  if (!port_text.empty()) {
    if (port_text.size() > 5
        || !std::all_of(port_text.begin(), port_text.end(),
                        [](char c) { return c >= '0' && c <= '9'; }))
      return bad();
    auto p = std::stoul(port_text);
    if (p == 0 || p > 65535)
      return bad();
    port = static_cast<uint16_t>(p);
  }
  endpoint ep;
  auto v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
  auto v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    ep.len = sizeof(sockaddr_in);
    return ep;
  }
  ep = endpoint{};
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    ep.len = sizeof(sockaddr_in6);
    return ep;
  }
  return bad();
}

std::vector<endpoint> parse_resolv_conf(std::string_view text) {
  std::vector<endpoint> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words{line};
    std::string key;
    std::string value;
    if (!(words >> key >> value) || key != "nameserver")
      continue;
    // A scoped IPv6 address (fe80::1%eth0) is not supported: skipped.
    if (value == task_dns_ip || value.find('%') != std::string::npos)
      continue;
    std::string_view v{value};
    auto ep = v.find(':') != std::string_view::npos
                ? parse_endpoint("[" + value + "]", 53)
                : parse_endpoint(v, 53);
    if (ep)
      out.push_back(*ep);
  }
  return out;
}

std::vector<std::string> parse_resolv_search(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words{line};
    std::string key;
    if (!(words >> key) || (key != "search" && key != "domain"))
      continue;
    out.clear();
    std::string d;
    while (words >> d && d[0] != '#' && d[0] != ';')
      out.push_back(d);
  }
  return out;
}

std::vector<endpoint> read_resolv_conf(const std::string& path) {
  std::ifstream f{path};
  if (!f)
    return {};
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_resolv_conf(ss.str());
}

} // namespace actorswarm::dns
