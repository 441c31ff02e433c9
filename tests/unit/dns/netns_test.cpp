#include "net/dns/server.hpp"
#include "net/dns/wire.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <thread>

#include <catch2/catch.hpp>

#include "unit/dns/dns_test_util.hpp"

using namespace actorswarm;
using namespace actorswarm::dns;
using namespace dns_test;

// The server's sockets created inside a task's network namespace at
// 127.0.0.11:53 and served from the test's (the daemon's) namespace; a
// client in the namespace resolves a name over UDP and TCP, and a name that
// is not ours goes to an upstream in the daemon's namespace.

namespace {

// A fresh, unnamed network namespace with `lo` up, held by an fd: closing
// the fd (RAII) removes it, so nothing is left behind even on failure.
struct scratch_netns {
  int fd = -1;
  scratch_netns() {
    std::thread t([this] {
      if (::unshare(CLONE_NEWNET) != 0)
        return;
      int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
      if (::ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        if (::ioctl(s, SIOCSIFFLAGS, &ifr) == 0)
          fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      }
      ::close(s);
    });
    t.join();
  }
  ~scratch_netns() {
    if (fd >= 0)
      ::close(fd);
  }
  // Runs f on a thread inside the namespace.
  template <class F>
  void run_inside(F f) {
    std::thread t([&] {
      if (::setns(fd, CLONE_NEWNET) == 0)
        f();
    });
    t.join();
  }
};

} // namespace

TEST_CASE("dns netns: the server answers at 127.0.0.11:53 inside a task's "
          "namespace",
          "[dns][netns]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (network namespaces)");
    return;
  }
  scratch_netns ns;
  REQUIRE(ns.fd >= 0);
  // the upstream lives in our (the daemon's) namespace
  int up = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto ua = loopback("127.0.0.1", 0);
  REQUIRE(::bind(up, reinterpret_cast<sockaddr*>(&ua), sizeof ua) == 0);
  socklen_t ulen = sizeof ua;
  ::getsockname(up, reinterpret_cast<sockaddr*>(&ua), &ulen);
  server_config cfg;
  cfg.upstreams = {
    *parse_endpoint("127.0.0.1:" + std::to_string(ntohs(ua.sin_port)))};
  auto srv = server::start(cfg);
  REQUIRE(srv.ok());
  auto socks = open_dns_sockets_in(ns.fd, task_dns_ip, task_dns_port);
  INFO((socks.ok() ? std::string() : socks.error().message));
  REQUIRE(socks.ok());
  (*srv)->add_listener(std::move(*socks), {"n1"});
  zone_update u;
  u.network_id = "n1";
  zone_service s;
  s.name = "app";
  s.vip = "10.0.7.2";
  u.services = {s};
  (*srv)->publish(*zone::build(u));

  answer udp;
  answer tcp;
  bytes forwarded_reply;
  ns.run_inside([&] {
    udp = read_answer(udp_exchange("127.0.0.11", 53, make_query(9, "app")));
    tcp_client c("127.0.0.11", 53);
    if (c.fd >= 0) {
      c.send_msg(make_query(10, "APP."));
      tcp = read_answer(c.recv_msg());
    }
  });
  CHECK(udp.ok);
  CHECK(udp.a == std::vector<std::string>{"10.0.7.2"});
  CHECK(tcp.id == 10);
  CHECK(tcp.a == std::vector<std::string>{"10.0.7.2"});

  // a foreign name: the client (inside) asks, the upstream (outside) answers
  std::thread upstream([&] {
    if (!wait_readable(up))
      return;
    bytes b(4096);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    auto n = ::recvfrom(up, b.data(), b.size(), 0,
                        reinterpret_cast<sockaddr*>(&from), &len);
    b.resize(static_cast<size_t>(n));
    query q;
    if (parse_query(b.data(), b.size(), q) != verdict::answer)
      return;
    in_addr a{};
    inet_pton(AF_INET, "192.0.2.77", &a);
    uint32_t x = a.s_addr;
    uint8_t out[512];
    auto m = write_response(b.data(), q, rcode::noerror, &x, 1, 30, out,
                            sizeof out);
    ::sendto(up, out, m, 0, reinterpret_cast<sockaddr*>(&from), len);
  });
  answer foreign;
  ns.run_inside([&] {
    foreign = read_answer(udp_exchange("127.0.0.11", 53,
                                       make_query(11, "example.com")));
  });
  upstream.join();
  ::close(up);
  CHECK(foreign.id == 11);
  CHECK(foreign.a == std::vector<std::string>{"192.0.2.77"});
}
