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
  // b2 stops: the next connections all go to b1. Through a kept session,
  // run from this thread (never in the namespace): its socket is there.
  auto kept = session::open(client.fd());
  REQUIRE(kept.ok());
  x.services[0].backends = {"10.0.1.11"};
  REQUIRE(apply_vip(**kept, x).ok());
  auto listed = (*kept)->list("list table ip actorswarm");
  REQUIRE(listed.ok());
  CHECK(listed->find("dnat to 10.0.1.11\n") != std::string::npos);
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

namespace {

// A node of the routing mesh (Docker's shape): the node's namespace (its
// "host" namespace, with a firewall whose FORWARD policy drops), reached by
// an outside client over eth0; a veth pair to its ingress sandbox; the
// sandbox's leg in the ingress network (a bridge) where two tasks listen.
struct mesh_node {
  netns outside;
  netns node;
  netns sandbox;
  netns t1;
  netns t2;
  bridge_net ingress;
  std::unique_ptr<name_server> s1;
  std::unique_ptr<name_server> s2;

  mesh_node() {
    REQUIRE(sh(node, "ip link add eth0 type veth peer name eth0 netns "
                       + ns_path(outside))
            == 0);
    REQUIRE(sh(node, "ip addr add 192.168.50.1/24 dev eth0 && ip link set "
                     "eth0 up && ip link set lo up")
            == 0);
    REQUIRE(sh(outside, "ip addr add 192.168.50.2/24 dev eth0 && ip link set "
                        "eth0 up && ip link set lo up")
            == 0);
    REQUIRE(sh(node, "ip link add as_ing0 type veth peer name link0 netns "
                       + ns_path(sandbox))
            == 0);
    REQUIRE(sh(node, "ip addr add 172.31.255.1/30 dev as_ing0 && ip link set "
                     "as_ing0 up")
            == 0);
    REQUIRE(sh(sandbox, "ip addr add 172.31.255.2/30 dev link0 && ip link set "
                        "link0 up && ip link set lo up && ip route add "
                        "default via 172.31.255.1")
            == 0);
    ingress.attach(sandbox, "vs", "10.0.0.2/24", "ing0");
    ingress.attach(t1, "vt1", "10.0.0.5/24");
    ingress.attach(t2, "vt2", "10.0.0.6/24");
    // What the data plane sets when it makes the node's sandbox: forwarding
    // in both, and route_localnet on the host end for 127.0.0.1:P.
    REQUIRE(sysctl(node, "net/ipv4/ip_forward", "1"));
    REQUIRE(sysctl(sandbox, "net/ipv4/ip_forward", "1"));
    REQUIRE(sysctl(node, "net/ipv4/conf/as_ing0/route_localnet", "1"));
    s1 = std::make_unique<name_server>(t1, 80, "t1");
    s2 = std::make_unique<name_server>(t2, 80, "t2");
    REQUIRE(s1->ok());
    REQUIRE(s2->ok());
  }

  mesh_state state() const {
    mesh_state x;
    x.sandbox_address = "172.31.255.2";
    x.host_device = "as_ing0";
    x.ingress_ports.push_back(
      {protocol::tcp, 8000, 80, {"10.0.0.5", "10.0.0.6"}});
    x.ingress_ports.push_back(
      {protocol::udp, 8001, 80, {"10.0.0.5", "10.0.0.6"}});
    return x;
  }
};

// A host firewall as iptables-nft writes it: table ip filter, chain FORWARD
// with policy drop (Docker's, or Debian's firewall's), one rule of its own.
constexpr const char* host_firewall
  = "table ip filter {\n"
    "  chain INPUT { type filter hook input priority filter; policy accept; }\n"
    "  chain FORWARD {\n"
    "    type filter hook forward priority filter; policy drop;\n"
    "    iifname \"docker0\" oifname \"docker0\" counter accept\n"
    "  }\n"
    "}\n";

} // namespace

TEST_CASE("nft netns: a published port answers from outside through a "
          "FORWARD DROP firewall only thanks to our accept rule",
          "[unit][nft][netns]") {
  if (skip_unless_root())
    return;
  mesh_node n;
  REQUIRE(run(n.node.fd(), host_firewall).ok());
  auto firewall_before = list(n.node.fd(), "list table ip filter");
  REQUIRE(firewall_before.ok());
  auto rep = apply_mesh(n.node.fd(), n.sandbox.fd(), n.state());
  REQUIRE(rep.ok());
  CHECK(rep->chain_found);
  CHECK(rep->inserted == 1);
  CHECK(rep->removed == 0);
  CHECK_FALSE(rep->legacy_filter);
  // Our rule heads the chain; the policy and the firewall's rule are kept.
  auto fwd = list(n.node.fd(), "list chain ip filter FORWARD");
  REQUIRE(fwd.ok());
  CHECK(fwd->find("policy drop;\n\t\tmeta mark & 0x00100000 == 0x00100000 "
                  "accept comment \"actorswarm\"\n\t\tiifname \"docker0\"")
        != std::string::npos);
  // From outside, balanced over both tasks, TCP and UDP.
  auto tcp = spread_tcp(n.outside, "192.168.50.1", 8000, 10);
  CHECK(tcp["t1"] == 5);
  CHECK(tcp["t2"] == 5);
  auto udp = spread_udp(n.outside, "192.168.50.1", 8001, 4);
  CHECK(udp["t1"] == 2);
  CHECK(udp["t2"] == 2);
  // From the node itself, on its address and on 127.0.0.1.
  CHECK(tcp_ask(n.node, "192.168.50.1", 8000).error == 0);
  auto local = tcp_ask(n.node, "127.0.0.1", 8000);
  CHECK(local.error == 0);
  CHECK((local.name == "t1" || local.name == "t2"));
  // Without our accept rule the firewall drops the very same connection.
  auto removed = remove_forward_accept(n.node.fd(), "actorswarm");
  REQUIRE(removed.ok());
  CHECK(*removed == 1);
  CHECK(tcp_ask(n.outside, "192.168.50.1", 8000, 500).error == ETIMEDOUT);
  // Ensuring again puts it back, once.
  auto again = ensure_forward_accept(n.node.fd(), default_mark, "actorswarm");
  REQUIRE(again.ok());
  CHECK(again->inserted == 1);
  again = ensure_forward_accept(n.node.fd(), default_mark, "actorswarm");
  REQUIRE(again.ok());
  CHECK(again->inserted == 0);
  CHECK(tcp_ask(n.outside, "192.168.50.1", 8000).error == 0);
  // A rule with our tag but not ours exactly (another mark, say from an
  // older configuration) is replaced, duplicates go: one rule stays.
  REQUIRE(run(n.node.fd(), "insert rule ip filter FORWARD meta mark & 0x1 == "
                           "0x1 accept comment \"actorswarm\"\n")
            .ok());
  again = ensure_forward_accept(n.node.fd(), default_mark, "actorswarm");
  REQUIRE(again.ok());
  CHECK(again->inserted == 1);
  CHECK(again->removed == 2);
  fwd = list(n.node.fd(), "list chain ip filter FORWARD");
  REQUIRE(fwd.ok());
  CHECK(fwd->find("comment \"actorswarm\"")
        == fwd->rfind("comment "
                      "\"actorswarm\""));
  CHECK(fwd->find("0x00100000 accept comment") != std::string::npos);
  // Teardown leaves the firewall exactly as it was, and nothing of ours.
  REQUIRE(remove_mesh(n.node.fd(), n.sandbox.fd()).ok());
  auto firewall_after = list(n.node.fd(), "list table ip filter");
  REQUIRE(firewall_after.ok());
  CHECK(*firewall_after == *firewall_before);
  auto node_tables = list(n.node.fd(), "list tables");
  REQUIRE(node_tables.ok());
  CHECK(*node_tables == "table ip filter\n");
  auto sandbox_rules = list(n.sandbox.fd(), "list ruleset");
  REQUIRE(sandbox_rules.ok());
  CHECK(*sandbox_rules == "");
}

TEST_CASE("nft netns: a port with no running task is refused, a host-mode "
          "port goes to its task, and no firewall means nothing inserted",
          "[unit][nft][netns]") {
  if (skip_unless_root())
    return;
  mesh_node n;
  auto x = n.state();
  x.ingress_ports[0].backends.clear();
  // Host mode: the node reaches t1 over a route (the data plane's business);
  // here the sandbox routes for it.
  REQUIRE(sh(n.node, "ip route add 10.0.0.0/24 via 172.31.255.2") == 0);
  REQUIRE(sh(n.t1, "ip route add default via 10.0.0.2") == 0);
  x.host_ports.push_back({protocol::tcp, 9000, 80, "10.0.0.5"});
  auto rep = apply_mesh(n.node.fd(), n.sandbox.fd(), x);
  REQUIRE(rep.ok());
  CHECK_FALSE(rep->chain_found);
  CHECK(rep->inserted == 0);
  CHECK(tcp_ask(n.outside, "192.168.50.1", 8000, 1000).error == ECONNREFUSED);
  auto host_mode = tcp_ask(n.outside, "192.168.50.1", 9000);
  CHECK(host_mode.error == 0);
  CHECK(host_mode.name == "t1");
  REQUIRE(remove_mesh(n.node.fd(), n.sandbox.fd()).ok());
  auto rules = list(n.node.fd(), "list ruleset");
  REQUIRE(rules.ok());
  CHECK(*rules == "");
}

namespace {

bool have(const char* path) {
  return ::access(path, X_OK) == 0;
}

} // namespace

// Needs Debian's iptables package (not installed by scripts/setup: skipped
// without it). Docker and most firewalls edit `ip filter` with iptables-nft,
// which refuses a table holding rules it cannot read; ours reads back as a
// plain mark match and can be deleted by iptables too.
TEST_CASE("nft netns: iptables-nft reads our FORWARD rule as a mark match, "
          "and a legacy iptables firewall is reported",
          "[unit][nft][netns]") {
  if (skip_unless_root())
    return;
  if (!have("/usr/sbin/iptables-nft") || !have("/usr/sbin/iptables-legacy")) {
    WARN("iptables-nft or iptables-legacy missing: skipped");
    return;
  }
  mesh_node n;
  REQUIRE(sh(n.node, "iptables-nft -P FORWARD DROP && iptables-nft -A "
                     "FORWARD -m conntrack --ctstate INVALID -j DROP")
          == 0);
  auto rep = apply_mesh(n.node.fd(), n.sandbox.fd(), n.state());
  REQUIRE(rep.ok());
  CHECK(rep->chain_found);
  CHECK(rep->inserted == 1);
  CHECK(tcp_ask(n.outside, "192.168.50.1", 8000).error == 0);
  CHECK(sh(n.node, "iptables-nft -S FORWARD | grep -qx -- '-A FORWARD -m mark "
                   "--mark 0x100000/0x100000 -m comment --comment actorswarm "
                   "-j ACCEPT'")
        == 0);
  REQUIRE(remove_mesh(n.node.fd(), n.sandbox.fd()).ok());
  CHECK(sh(n.node, "iptables-nft -S FORWARD | grep -q actorswarm") != 0);
  REQUIRE(sh(n.node, "iptables-nft -F FORWARD && iptables-nft -P FORWARD "
                     "ACCEPT")
          == 0);
  // A legacy (x_tables) FORWARD DROP is invisible to nftables: reported, and
  // the documented one-line rule on our packet mark lets the mesh through.
  REQUIRE(sh(n.node, "iptables-legacy -P FORWARD DROP") == 0);
  rep = apply_mesh(n.node.fd(), n.sandbox.fd(), n.state());
  REQUIRE(rep.ok());
  CHECK(rep->legacy_filter);
  CHECK(tcp_ask(n.outside, "192.168.50.1", 8000, 500).error == ETIMEDOUT);
  REQUIRE(sh(n.node, "iptables-legacy -I FORWARD -m mark --mark "
                     "0x100000/0x100000 -j ACCEPT")
          == 0);
  CHECK(tcp_ask(n.outside, "192.168.50.1", 8000).error == 0);
}
