#pragma once

// Helpers of the data-plane tests: they need root (namespaces, devices) and
// skip with a warning otherwise. Everything they make lives in namespaces
// they create, pinned in a temp dir of their own, and goes away at the end
// of the test, also when it fails (RAII). The host's own namespace is never
// changed: "hosts" are namespaces joined by a bridge in a "wire" namespace.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "os/netlink.hpp"
#include "os/netns.hpp"
#include "os/overlay.hpp"
#include "support/temp_dir.hpp"

namespace actorswarm::test {

/// True when the test may make namespaces and devices.
inline bool dataplane_capable() {
  return ::geteuid() == 0;
}

/// Skips the test (WARN and return) without root.
#define AS_REQUIRE_ROOT()                                                      \
  do {                                                                         \
    if (!::actorswarm::test::dataplane_capable()) {                            \
      WARN("skipped: needs root for network namespaces");                      \
      return;                                                                  \
    }                                                                          \
  } while (false)

/// A pin directory of the test's own (in a temp dir named with the pid),
/// prepared; at the end every namespace pinned in it is removed (its veth
/// devices deleted first) and the mount point released.
struct test_pins {
  temp_dir tmp;
  os::netns_dir dir;

  explicit test_pins(const std::string& prefix)
    : tmp(prefix + "-" + std::to_string(::getpid())), dir(tmp.path + "/netns") {
    auto ok = dir.prepare();
    INFO((ok ? "" : ok.error().message));
    REQUIRE(ok.ok());
  }

  ~test_pins() {
    if (auto pins = dir.list())
      for (auto& p : *pins) {
        if (auto ns = dir.open(p.name))
          if (auto conn = os::netlink_conn::open(*ns))
            if (auto links = conn->links())
              for (auto& x : *links)
                if (!x.kind.empty())
                  conn->delete_link(x.index);
        dir.remove(p.name);
      }
    dir.release();
  }

  test_pins(const test_pins&) = delete;
  test_pins& operator=(const test_pins&) = delete;
};

/// REQUIREs `x` ok, printing its error otherwise; yields the value.
template <class T>
T& require_ok(result<T>& x) {
  INFO((x ? std::string{} : x.error().message));
  REQUIRE(x.ok());
  return *x;
}

/// REQUIREs a temporary `x` ok.
template <class T>
void require_ok(result<T>&& x) {
  require_ok(x);
}

inline void require_ok(const status& x) {
  INFO((x ? std::string{} : x.error().message));
  REQUIRE(x.ok());
}

/// A network of "hosts": namespaces with an eth0 each (192.168.77.<i+1>/24)
/// on a bridge in a "wire" namespace, all pinned in the test's own dir.
struct test_hosts {
  test_pins pins;
  os::netns wire;
  std::vector<os::netns> hosts;
  std::vector<os::ipv4> addrs;

  test_hosts(const std::string& prefix, int count) : pins(prefix) {
    auto w = pins.dir.create("wire");
    require_ok(w);
    wire = std::move(*w);
    auto wconn = os::netlink_conn::open(wire);
    require_ok(wconn);
    require_ok(wconn->create_bridge("wbr", 0));
    auto br = wconn->link("wbr");
    require_ok(br);
    for (int i = 0; i < count; ++i) {
      auto ns = pins.dir.create("host" + std::to_string(i));
      require_ok(ns);
      os::veth_spec leg;
      leg.name = "w" + std::to_string(i);
      leg.master = br->index;
      leg.peer_name = "eth0";
      leg.peer_ns = &*ns;
      require_ok(wconn->create_veth(leg));
      auto hconn = os::netlink_conn::open(*ns);
      require_ok(hconn);
      auto eth = hconn->link("eth0");
      require_ok(eth);
      auto addr = os::ipv4{0xc0a84d01u + static_cast<uint32_t>(i)};
      require_ok(hconn->add_address(eth->index, os::ipv4_prefix{addr, 24}));
      require_ok(hconn->set_up(eth->index, true));
      require_ok(hconn->set_up(1, true));
      hosts.push_back(std::move(*ns));
      addrs.push_back(addr);
    }
  }
};

/// A socket made inside `ns` (it stays there), -1 on failure.
inline int socket_in(const os::netns& ns, int type) {
  int fd = -1;
  auto ok = os::run_in_netns(ns, [&] {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  });
  return ok ? fd : -1;
}

inline sockaddr_in sockaddr_of(os::ipv4 ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(ip.value);
  sa.sin_port = htons(port);
  return sa;
}

/// Listens in `to` at `listen_ip`:`listen_port` (0: any port), connects over
/// TCP from `from` to `dst_ip`:`dst_port` (0: the listening port), sends a
/// line and reads it on the listening side; waits at most `deadline_ms` for
/// each step. Returns what arrived ("" on failure).
inline std::string tcp_exchange_via(const os::netns& from, const os::netns& to,
                                    os::ipv4 listen_ip, uint16_t listen_port,
                                    os::ipv4 dst_ip, uint16_t dst_port,
                                    int deadline_ms = 5000) {
  int lfd = socket_in(to, SOCK_STREAM);
  int cfd = socket_in(from, SOCK_STREAM | SOCK_NONBLOCK);
  int afd = -1;
  std::string got;
  auto cleanup = [&] {
    for (int fd : {lfd, cfd, afd})
      if (fd >= 0)
        ::close(fd);
  };
  int one = 1;
  auto sa = sockaddr_of(listen_ip, listen_port);
  socklen_t len = sizeof(sa);
  if (lfd < 0 || cfd < 0
      || ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
      || ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || ::listen(lfd, 1) != 0
      || ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    cleanup();
    return got;
  }
  auto da = sockaddr_of(dst_ip, dst_port != 0 ? dst_port : ntohs(sa.sin_port));
  int rc = ::connect(cfd, reinterpret_cast<sockaddr*>(&da), sizeof(da));
  pollfd p{cfd, POLLOUT, 0};
  int err = 0;
  socklen_t elen = sizeof(err);
  if ((rc != 0 && errno != EINPROGRESS) || ::poll(&p, 1, deadline_ms) != 1
      || ::getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0
      || err != 0) {
    cleanup();
    return got;
  }
  pollfd lp{lfd, POLLIN, 0};
  if (::poll(&lp, 1, deadline_ms) == 1)
    afd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  const char msg[] = "hello over the overlay";
  if (afd >= 0 && ::write(cfd, msg, sizeof(msg) - 1) > 0) {
    pollfd ap{afd, POLLIN, 0};
    char buf[64] = {};
    if (::poll(&ap, 1, deadline_ms) == 1) {
      auto n = ::read(afd, buf, sizeof(buf));
      if (n > 0)
        got.assign(buf, static_cast<size_t>(n));
    }
  }
  cleanup();
  return got;
}

/// tcp_exchange_via straight to `to_ip` in `to`, on a port of its choice.
inline std::string tcp_exchange(const os::netns& from, const os::netns& to,
                                os::ipv4 to_ip, int deadline_ms = 5000) {
  return tcp_exchange_via(from, to, to_ip, 0, to_ip, 0, deadline_ms);
}

/// One test "node": its own pin dir (its data dir) and an overlay working in
/// one of the test's host namespaces.
struct test_node {
  test_pins pins;
  os::overlay_config cfg;
  std::unique_ptr<os::overlay> ov;

  test_node(const std::string& prefix, const std::string& node_id,
            const os::netns& host, os::ipv4 underlay,
            os::ipv4_prefix subnet = os::default_gateway_subnet)
    : pins(prefix) {
    cfg.netns_dir = pins.dir.path();
    cfg.node_id = node_id;
    cfg.underlay = underlay;
    cfg.gateway_subnet = subnet;
    restart(host);
  }

  // A new overlay on the same pins, as a restarted daemon makes it.
  void restart(const os::netns& host) {
    ov.reset();
    auto h = host.dup();
    require_ok(h);
    ov = std::make_unique<os::overlay>(cfg, std::move(*h));
    require_ok(ov->start());
  }
};

/// Network "net1": VNI 4097, 10.10.0.0/24, gateway 10.10.0.1.
inline os::network_desc net1() {
  os::network_desc n;
  n.id = "net1";
  n.vni = 4097;
  n.subnet = *os::parse_ipv4_prefix("10.10.0.0/24");
  n.gateway = *os::parse_ipv4("10.10.0.1");
  return n;
}

} // namespace actorswarm::test
