#include "os/nftables.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "net_fixture.hpp"

// Root tests: the rule sets applied in namespaces the test creates (a
// bridge namespace, clients and backends on veths), checked with real
// connections. Nothing here touches the host's namespace. Skipped (with a
// warning) when not root.

using namespace actorswarm;
using namespace actorswarm::nft;
using namespace actorswarm::nft::test;

namespace {

// A "network": a bridge in a namespace of its own, as the data plane has one
// per network (DESIGN.md, Networking).
struct bridge_net {
  netns ns;

  bridge_net() {
    REQUIRE(ns.ok());
    REQUIRE(sh(ns, "ip link add br0 type bridge && ip link set br0 up") == 0);
  }

  // Gives `x` a leg `eth0` with `cidr` on this bridge (leg `dev` here).
  void attach(const netns& x, const std::string& dev, const std::string& cidr,
              const std::string& leg = "eth0") {
    REQUIRE(sh(ns, "ip link add " + dev + " type veth peer name " + leg
                     + " netns " + ns_path(x) + " && ip link set " + dev
                     + " master br0 up")
            == 0);
    REQUIRE(sh(x, "ip addr add " + cidr + " dev " + leg + " && ip link set "
                    + leg + " up && ip link set lo up")
            == 0);
  }
};

bool skip_unless_root() {
  if (is_root())
    return false;
  WARN("not root: namespace tests skipped");
  return true;
}

// Which backend answered each of `n` TCP connections (name -> count).
std::map<std::string, int> spread_tcp(const netns& from, const std::string& ip,
                                      uint16_t port, int n) {
  std::map<std::string, int> out;
  for (int i = 0; i < n; ++i) {
    auto a = tcp_ask(from, ip, port);
    INFO("connection " << i << " errno " << a.error);
    REQUIRE(a.error == 0);
    ++out[a.name];
  }
  return out;
}

std::map<std::string, int> spread_udp(const netns& from, const std::string& ip,
                                      uint16_t port, int n) {
  std::map<std::string, int> out;
  for (int i = 0; i < n; ++i) {
    auto a = udp_ask(from, ip, port);
    INFO("datagram " << i << " errno " << a.error);
    REQUIRE(a.error == 0);
    ++out[a.name];
  }
  return out;
}

} // namespace

TEST_CASE("nft netns: connections to a VIP spread over its backends, a "
          "removed backend gets no new ones, none refuses at once",
          "[unit][nft][netns]") {
  if (skip_unless_root())
    return;
  bridge_net net;
  netns client;
  netns b1;
  netns b2;
  net.attach(client, "vc", "10.0.1.10/24");
  net.attach(b1, "v1", "10.0.1.11/24");
  net.attach(b2, "v2", "10.0.1.12/24");
  name_server s1{b1, 8080, "b1"};
  name_server s2{b2, 8080, "b2"};
  REQUIRE(s1.ok());
  REQUIRE(s2.ok());
  vip_state x;
  x.services.push_back({"10.0.1.100", {"10.0.1.11", "10.0.1.12"}});
  x.services.push_back({"10.0.1.101", {}});
  REQUIRE(apply_vip(client.fd(), x).ok());
  // TCP and UDP, on a port the rules never name: the VIP forwards any port.
  auto tcp = spread_tcp(client, "10.0.1.100", 8080, 20);
  CHECK(tcp["b1"] == 10);
  CHECK(tcp["b2"] == 10);
  auto udp = spread_udp(client, "10.0.1.100", 8080, 10);
  CHECK(udp["b1"] == 5);
  CHECK(udp["b2"] == 5);
  // No backend: refused (TCP reset, ICMP port unreachable), not a hang.
  auto refused = tcp_ask(client, "10.0.1.101", 8080, 1000);
  CHECK(refused.error == ECONNREFUSED);
  // A datagram is dropped in the sender's own output hook: send() fails at
  // once (EPERM), or the ICMP error comes back (ECONNREFUSED).
  auto udp_refused = udp_ask(client, "10.0.1.101", 8080, 1000).error;
  CHECK((udp_refused == EPERM || udp_refused == ECONNREFUSED));
  // b2 stops: the next connections all go to b1.
  x.services[0].backends = {"10.0.1.11"};
  REQUIRE(apply_vip(client.fd(), x).ok());
  auto after = spread_tcp(client, "10.0.1.100", 8080, 10);
  CHECK(after["b1"] == 10);
  CHECK(after.count("b2") == 0);
  // The table is ours and alone; removing it leaves the namespace clean.
  REQUIRE(remove_table(client.fd()).ok());
  REQUIRE(remove_table(client.fd()).ok());
  auto rules = list(client.fd(), "list ruleset");
  REQUIRE(rules.ok());
  CHECK(*rules == "");
}

TEST_CASE("nft netns: a task balanced to itself through its own VIP "
          "(hairpin) needs no masquerade",
          "[unit][nft][netns]") {
  if (skip_unless_root())
    return;
  bridge_net net;
  netns b1;
  netns b2;
  net.attach(b1, "v1", "10.0.1.11/24");
  net.attach(b2, "v2", "10.0.1.12/24");
  name_server s1{b1, 80, "b1"};
  name_server s2{b2, 80, "b2"};
  REQUIRE(s1.ok());
  REQUIRE(s2.ok());
  // The service's own task b1 connects to the service's VIP: the DNAT is in
  // b1's own output hook, so the source stays b1's address and the answer,
  // from itself or from b2, comes straight back.
  vip_state x;
  x.services.push_back({"10.0.1.100", {"10.0.1.11", "10.0.1.12"}});
  REQUIRE(apply_vip(b1.fd(), x).ok());
  auto seen = spread_tcp(b1, "10.0.1.100", 80, 10);
  CHECK(seen["b1"] == 5);
  CHECK(seen["b2"] == 5);
  auto udp = spread_udp(b1, "10.0.1.100", 80, 4);
  CHECK(udp["b1"] == 2);
  CHECK(udp["b2"] == 2);
}

TEST_CASE("nft netns: a table is replaced in one transaction, a failed "
          "update changes nothing",
          "[unit][nft][netns]") {
  if (skip_unless_root())
    return;
  netns ns;
  REQUIRE(ns.ok());
  vip_state x;
  x.services.push_back({"10.0.1.100", {"10.0.1.11"}});
  REQUIRE(apply_vip(ns.fd(), x).ok());
  auto before = list(ns.fd(), "list table ip actorswarm");
  REQUIRE(before.ok());
  CHECK(before->find("dnat to 10.0.1.11") != std::string::npos);
  // The new table parses, but the last command fails in the kernel (no such
  // chain): the whole run is one transaction, so the old table stays.
  x.services[0].backends = {"10.0.1.12"};
  auto script = render_vip(x);
  REQUIRE(script.ok());
  auto failed = run(ns.fd(), *script + "add rule ip nosuch nochain accept\n");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message.rfind("nftables: Error:", 0) == 0);
  auto after = list(ns.fd(), "list table ip actorswarm");
  REQUIRE(after.ok());
  CHECK(*after == *before);
  // Applied twice in a row: still one table, with the new backend.
  REQUIRE(run(ns.fd(), *script).ok());
  REQUIRE(run(ns.fd(), *script).ok());
  auto tables = list(ns.fd(), "list tables");
  REQUIRE(tables.ok());
  CHECK(*tables == "table ip actorswarm\n");
  auto now = list(ns.fd(), "list table ip actorswarm");
  REQUIRE(now.ok());
  CHECK(now->find("dnat to 10.0.1.12") != std::string::npos);
}
