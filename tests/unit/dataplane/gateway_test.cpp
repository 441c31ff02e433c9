// The gateway (os/overlay_gateway.cpp): tasks on overlays reach the outside
// world through a bridge in their node's host namespace, masqueraded, also
// behind a host firewall whose FORWARD policy drops. Everything happens in
// namespaces the tests create: the node's "host" namespace and an "internet"
// host beside it on a wire; the machine's own namespace is never touched.

#include <catch2/catch.hpp>

#include <fstream>
#include <memory>

#include "os/nftables.hpp"
#include "os/overlay.hpp"
#include "unit/dataplane/dataplane_test_support.hpp"

using namespace actorswarm;
using namespace actorswarm::os;
using namespace actorswarm::test;

namespace {

task_leg leg1(const char* addr, bool default_route = false) {
  task_leg leg;
  leg.network_id = "net1";
  leg.address = *parse_ipv4_prefix(addr);
  leg.default_route = default_route;
  return leg;
}

gateway_leg gw_leg(const char* addr, const char* ifname = "eth1") {
  return gateway_leg{*parse_ipv4_prefix(addr), ifname};
}

std::vector<std::string> links_of(const netns& ns) {
  auto conn = netlink_conn::open(ns);
  require_ok(conn);
  auto links = conn->links();
  require_ok(links);
  std::vector<std::string> out;
  for (auto& x : *links)
    if (x.name != "lo")
      out.push_back(x.name);
  std::sort(out.begin(), out.end());
  return out;
}

// The address the server in `to` sees a TCP connection from `from` come
// from ("" when none came within the deadline).
std::string peer_seen(const netns& from, const netns& to, ipv4 to_ip,
                      int deadline_ms = 3000) {
  int lfd = socket_in(to, SOCK_STREAM);
  int cfd = socket_in(from, SOCK_STREAM | SOCK_NONBLOCK);
  int afd = -1;
  std::string seen;
  auto sa = sockaddr_of(to_ip, 0);
  socklen_t len = sizeof(sa);
  bool ready = lfd >= 0 && cfd >= 0
               && ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0
               && ::listen(lfd, 1) == 0
               && ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len)
                    == 0;
  if (ready) {
    int rc = ::connect(cfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    pollfd lp{lfd, POLLIN, 0};
    if ((rc == 0 || errno == EINPROGRESS) && ::poll(&lp, 1, deadline_ms) == 1)
      afd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    sockaddr_in peer{};
    socklen_t plen = sizeof(peer);
    pollfd cp{cfd, POLLOUT, 0};
    // The handshake completed on both ends: the reply came back too.
    if (afd >= 0 && ::poll(&cp, 1, deadline_ms) == 1
        && ::getpeername(afd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0)
      seen = to_string(ipv4{ntohl(peer.sin_addr.s_addr)});
  }
  for (int fd : {lfd, cfd, afd})
    if (fd >= 0)
      ::close(fd);
  return seen;
}

std::string read_in(const netns& ns, const std::string& path) {
  std::string out;
  require_ok(run_in_netns(ns, [&] {
    std::ifstream in{path};
    std::getline(in, out);
  }));
  return out;
}

// A host firewall as iptables-nft writes it: FORWARD policy drop.
constexpr const char* forward_drop
  = "table ip filter {\n"
    "  chain FORWARD {\n"
    "    type filter hook forward priority filter; policy drop;\n"
    "  }\n"
    "}\n";

std::string ruleset(const netns& ns) {
  auto x = nft::list(ns.fd(), "list ruleset");
  require_ok(x);
  return *x;
}

} // namespace

TEST_CASE("gateway: a task on an overlay reaches the outside, masqueraded, "
          "behind a FORWARD drop firewall, and nothing is left after",
          "[unit]") {
  AS_REQUIRE_ROOT();
  // hosts[0]: the node; hosts[1]: "the internet" (no route to the gateway
  // subnet: only a masqueraded connection gets its reply back).
  test_hosts world{"as-gw-world", 2};
  auto& host = world.hosts[0];
  auto& inet = world.hosts[1];
  test_node a{"as-gw-a", "ffff0000000000000000000000", host, world.addrs[0]};
  require_ok(nft::run(host.fd(), forward_drop));
  require_ok(a.ov->ensure_network(net1()));
  require_ok(a.ov->create_task("t1"));
  require_ok(a.ov->attach_task("t1", leg1("10.10.0.2/24")));
  // Not yet: the task has no way out.
  auto t1 = a.pins.dir.open("t-t1");
  require_ok(t1);
  CHECK(peer_seen(*t1, inet, world.addrs[1], 300).empty());
  require_ok(a.ov->attach_gateway("t1", gw_leg("172.18.0.2/16")));
  require_ok(a.ov->attach_gateway("t1", gw_leg("172.18.0.2/16"))); // again
  CHECK(to_string(a.ov->gateway_address()) == "172.18.0.1");
  CHECK(peer_seen(*t1, inet, world.addrs[1]) == "192.168.77.1");
  CHECK(read_in(host, "/proc/sys/net/ipv4/ip_forward") == "1");
  CHECK(links_of(host)
        == std::vector<std::string>{"asffffeac120002", "asffffg0", "eth0"});
  CHECK(links_of(*t1) == std::vector<std::string>{"eth0", "eth1"});
  auto tconn = netlink_conn::open(*t1);
  require_ok(tconn);
  auto eth1 = tconn->link("eth1");
  require_ok(eth1);
  CHECK(eth1->mtu == 1500); // the underlay's: nothing is encapsulated
  CHECK(eth1->mac == mac_from_ip(*parse_ipv4("172.18.0.2")));
  auto rules = ruleset(host);
  CHECK(rules.find("table ip actorswarm_gw {") != rules.npos);
  CHECK(rules.find("comment \"actorswarm_gw\"") != rules.npos);
  CHECK(rules.find("policy drop;") != rules.npos); // the host's, untouched
  // The task's network leg keeps its subnet route: the overlay still works
  // beside it (its own gateway address answers on the bridge).
  auto n1 = a.pins.dir.open("n-net1");
  require_ok(n1);
  CHECK(peer_seen(*t1, *n1, net1().gateway) == "10.10.0.2");
  // Without our accept rule the host's firewall drops the task's traffic.
  auto removed = nft::remove_forward_accept(host.fd(), "actorswarm_gw");
  require_ok(removed);
  CHECK(*removed == 1);
  CHECK(peer_seen(*t1, inet, world.addrs[1], 300).empty());
  // The gateway made again (the rule back), then the task goes: nothing of
  // it is left in the host namespace.
  require_ok(a.ov->remove_gateway());
  require_ok(a.ov->attach_gateway("t1", gw_leg("172.18.0.2/16")));
  CHECK(peer_seen(*t1, inet, world.addrs[1]) == "192.168.77.1");
  require_ok(a.ov->detach_gateway("t1", gw_leg("172.18.0.2/16")));
  require_ok(a.ov->detach_gateway("t1", gw_leg("172.18.0.2/16")));
  CHECK(links_of(*t1) == std::vector<std::string>{"eth0"});
  require_ok(a.ov->attach_gateway("t1", gw_leg("172.18.0.3/16")));
  require_ok(a.ov->remove_task("t1", true));
  require_ok(a.ov->remove_gateway());
  require_ok(a.ov->remove_gateway());
  require_ok(a.ov->remove_network("net1"));
  CHECK(links_of(host) == std::vector<std::string>{"eth0"});
  rules = ruleset(host);
  CHECK(rules.find("actorswarm_gw") == rules.npos);
  CHECK(rules.find("policy drop;") != rules.npos);
  auto pins = a.pins.dir.list();
  require_ok(pins);
  CHECK(pins->empty());
}

TEST_CASE("gateway: a task without a gateway leg (internal networks only) "
          "has no way out",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-gw-int-world", 2};
  auto& host = world.hosts[0];
  test_node a{"as-gw-int", "ffaa0000000000000000000000", host, world.addrs[0]};
  require_ok(a.ov->ensure_network(net1()));
  require_ok(a.ov->create_task("t1"));
  // As the network plane attaches a task on internal networks only: its
  // first leg has the default route, via the network's gateway on the
  // network's bridge, which leads nowhere.
  require_ok(a.ov->attach_task("t1", leg1("10.10.0.2/24", true)));
  auto t1 = a.pins.dir.open("t-t1");
  require_ok(t1);
  CHECK(peer_seen(*t1, world.hosts[1], world.addrs[1], 300).empty());
  CHECK(links_of(host) == std::vector<std::string>{"eth0"});
  require_ok(a.ov->remove_task("t1", true));
  require_ok(a.ov->remove_network("net1"));
}

TEST_CASE("gateway: a restarted node adopts the gateway legs of adopted "
          "tasks, reports their addresses, and removes the rest",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-gw-adopt-world", 2};
  auto& host = world.hosts[0];
  auto& inet = world.hosts[1];
  test_node a{"as-gw-adopt", "ffbb0000000000000000000000", host, world.addrs[0],
              *parse_ipv4_prefix("10.99.0.0/24")};
  require_ok(nft::run(host.fd(), forward_drop));
  require_ok(a.ov->ensure_network(net1()));
  for (auto id : {"t1", "t2"})
    require_ok(a.ov->create_task(id));
  require_ok(a.ov->attach_task("t1", leg1("10.10.0.2/24")));
  require_ok(a.ov->attach_task("t2", leg1("10.10.0.3/24")));
  require_ok(a.ov->attach_gateway("t1", gw_leg("10.99.0.2/24")));
  require_ok(a.ov->attach_gateway("t2", gw_leg("10.99.0.3/24")));
  // "Crash" and restart; t1 is still desired, t2 not.
  a.restart(host);
  desired_state want;
  want.networks.push_back(net1());
  want.tasks.push_back(task_desc{"t1", {leg1("10.10.0.2/24")}});
  auto report = a.ov->reconcile(want);
  require_ok(report);
  CHECK(report->removed_tasks == std::vector<std::string>{"t2"});
  REQUIRE(report->gateway_legs.size() == 1);
  auto& found = report->gateway_legs.at("t1");
  CHECK(to_string(found.address) == "10.99.0.2/24");
  CHECK(found.ifname == "eth1");
  CHECK(links_of(host)
        == std::vector<std::string>{"asffbbe0a630002", "asffbbg0", "eth0"});
  auto t1 = a.pins.dir.open("t-t1");
  require_ok(t1);
  CHECK(peer_seen(*t1, inet, world.addrs[1]) == "192.168.77.1");
  auto rules = ruleset(host);
  CHECK(rules.find("ip saddr 10.99.0.0/24") != rules.npos);
  // Exactly one accept rule of ours after the restart.
  auto at = rules.find("comment \"actorswarm_gw\"");
  REQUIRE(at != rules.npos);
  CHECK(rules.find("comment \"actorswarm_gw\"", at + 1) == rules.npos);
  // A restart that keeps no task: the gateway goes with its rules.
  a.restart(host);
  report = a.ov->reconcile(desired_state{});
  require_ok(report);
  CHECK(report->gateway_legs.empty());
  CHECK(links_of(host) == std::vector<std::string>{"eth0"});
  rules = ruleset(host);
  CHECK(rules.find("actorswarm_gw") == rules.npos);
}

TEST_CASE("gateway: bad input is refused with one clear error and changes "
          "nothing",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-gw-bad-world", 1};
  auto& host = world.hosts[0];
  test_node a{"as-gw-bad", "ffcc0000000000000000000000", host, world.addrs[0]};
  CHECK(a.ov->attach_gateway("t1", gw_leg("172.18.0.2/16")).error().code
        == errc::not_found); // no namespace for the task
  require_ok(a.ov->create_task("t1"));
  for (auto bad : {"172.19.0.2/16", "172.18.0.2/24", "172.18.0.1/16",
                   "172.18.0.0/16", "172.18.255.255/16"}) {
    INFO(bad);
    auto r = a.ov->attach_gateway("t1", gw_leg(bad));
    CHECK(r.error().code == errc::invalid_spec);
    CHECK(r.error().message
          == std::string{"gateway address "} + bad
               + " is not usable in subnet 172.18.0.0/16");
  }
  CHECK(a.ov->attach_gateway("t1", gw_leg("172.18.0.2/16", "a/b")).error().code
        == errc::invalid_spec);
  CHECK(links_of(host) == std::vector<std::string>{"eth0"});
  test_node b{"as-gw-bad2", "ffdd0000000000000000000000", host, world.addrs[0],
              *parse_ipv4_prefix("10.0.0.0/31")};
  CHECK(b.ov->ensure_gateway().error().message
        == "invalid gateway subnet: 10.0.0.0/31 (prefix length 8-30)");
  CHECK(links_of(host) == std::vector<std::string>{"eth0"});
  test_node c{"as-gw-bad3", "ffee0000000000000000000000", host, world.addrs[0],
              gateway_off};
  CHECK(c.ov->ensure_gateway().error().code == errc::refused);
  require_ok(c.ov->reconcile(desired_state{}));
  CHECK(links_of(host) == std::vector<std::string>{"eth0"});
  require_ok(a.ov->remove_task("t1", true));
}
