// Cluster: the tasks' way out (the gateway, os/overlay.hpp). A daemon in a
// host namespace of the test's own, whose firewall's FORWARD policy drops,
// runs a task on an overlay network; the task fetches from an HTTP server
// outside its host (a socket the test opens in the switch namespace), which
// sees the host's address (masqueraded). After `service rm` and `network
// rm` no device or rule of the gateway is left. Needs root: skips (WARN)
// otherwise.

#include "cluster/netns_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include <catch2/catch.hpp>

#include "cluster/cluster_fixture.hpp"
#include "os/netns.hpp"

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

std::string text_of(const cmd_result& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out
         + "\nstderr: " + r.err;
}

} // namespace

TEST_CASE("cluster: a task on an overlay network fetches from a server "
          "outside its host through the gateway, masqueraded, behind a "
          "FORWARD drop firewall, and nothing is left after",
          "[cluster][netns]") {
  auto why = netns_unsupported();
  if (!why.empty()) {
    WARN("skipped: network namespace tests need root (" << why << ")");
    return;
  }
  netns_hosts h{1};
  h.set_forward_drop(0);
  // The "outside" server: a socket in the switch namespace, port from the
  // kernel.
  int lfd = -1;
  REQUIRE(actorswarm::os::run_in_netns(h.switch_ns(), [&] {
            lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          }).ok());
  REQUIRE(lfd >= 0);
  struct closer {
    int fd;
    ~closer() {
      ::close(fd);
    }
  } close_lfd{lfd};
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  REQUIRE(::inet_pton(AF_INET, h.switch_addr().c_str(), &sa.sin_addr) == 1);
  socklen_t len = sizeof(sa);
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  REQUIRE(::listen(lfd, 8) == 0);
  REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  auto url = "http://" + h.switch_addr() + ":"
             + std::to_string(ntohs(sa.sin_port)) + "/";
  {
    netns_swarm s{h};
    auto formed = s.form(1);
    INFO(formed);
    REQUIRE(formed.empty());
    auto r = s[0].cli({"network", "create", "-d", "overlay", "outnet"});
    INFO(text_of(r));
    REQUIRE(r.exit_code == 0);
    // start: a task that fetches the URL again and again
    r = s[0].cli({"service", "create", "-d", "--name", "fetch", "--network",
                  "outnet", "host", "/usr/bin/python3", "-c",
                  "import time,urllib.request\n"
                  "while True:\n"
                  "  try: urllib.request.urlopen('"
                    + url
                    + "',timeout=2).read()\n"
                      "  except Exception: pass\n"
                      "  time.sleep(0.2)\n"});
    INFO(text_of(r));
    REQUIRE(r.exit_code == 0);
    // check: a request arrives from the host's address, and the answer gets
    // back (the handshake completed through the masquerade)
    pollfd p{lfd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 30000) == 1);
    sockaddr_in peer{};
    socklen_t plen = sizeof(peer);
    int c = ::accept4(lfd, reinterpret_cast<sockaddr*>(&peer), &plen,
                      SOCK_CLOEXEC);
    REQUIRE(c >= 0);
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    CHECK(std::string{ip} == h.addr(0));
    char buf[512];
    pollfd cp{c, POLLIN, 0};
    std::string request;
    if (::poll(&cp, 1, 5000) == 1) {
      auto n = ::read(c, buf, sizeof(buf));
      if (n > 0)
        request.assign(buf, static_cast<size_t>(n));
    }
    CHECK(request.rfind("GET / HTTP/1.1", 0) == 0);
    const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    CHECK(::write(c, reply, sizeof(reply) - 1) > 0);
    ::close(c);
    CHECK(h.ruleset(0).find("table ip actorswarm_gw") != std::string::npos);
    // stop: service rm, network rm; nothing of the gateway is left
    r = s[0].cli({"service", "rm", "fetch"});
    INFO(text_of(r));
    CHECK(r.exit_code == 0);
    auto net_rm = [&] {
      r = s[0].cli({"network", "rm", "outnet"});
      return r.exit_code == 0;
    };
    CHECK(eventually(net_rm, 10s, 50ms));
    auto clean = [&] {
      auto rules = h.ruleset(0);
      return h.devices(0) == std::vector<std::string>{"eth0", "lo"}
             && rules.find("actorswarm_gw") == std::string::npos;
    };
    auto ok = eventually(clean, 10s, 50ms);
    std::string devices;
    for (auto& d : h.devices(0))
      devices += d + " ";
    INFO("devices: " << devices << "\nrules: " << h.ruleset(0));
    CHECK(ok);
    // The host's own firewall is as it was.
    CHECK(h.ruleset(0).find("policy drop") != std::string::npos);
    CHECK(s.stop_all());
  }
  h.close();
  CHECK(h.leftovers().empty());
}
