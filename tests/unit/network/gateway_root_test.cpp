// The gateway end to end through the network plane on the real data plane,
// as root: a node ("host" namespace of the test's own, its firewall's
// FORWARD policy drop) and an "internet" host beside it. A task on a
// network reaches the internet host, masqueraded; a task on an internal
// network does not; a restarted node adopts the leg; after the last task
// nothing is left in the host namespace. Skips without root.

#include "actors/network/network_plane.hpp"

#include <catch2/catch.hpp>

#include "os/nftables.hpp"
#include "unit/dataplane/dataplane_test_support.hpp"

using namespace actorswarm;

namespace {

pb::NodeNetwork net(const std::string& id, uint32_t vni,
                    const std::string& subnet, bool internal) {
  pb::NodeNetwork x;
  auto& n = *x.mutable_network();
  n.set_id(id);
  n.set_vni(vni);
  n.mutable_ipam()->set_subnet(subnet);
  n.mutable_spec()->set_internal(internal);
  return x;
}

pb::Assignments full_set(std::vector<pb::Task> tasks = {}) {
  auto pid = static_cast<uint32_t>(::getpid() % 1000);
  pb::Assignments as;
  as.set_full(true);
  as.set_networks_set(true);
  *as.add_networks() = net("pub", 5000 + pid, "10.0.1.0/24", false);
  *as.add_networks() = net("int", 6000 + pid, "10.0.2.0/24", true);
  for (auto& t : tasks)
    *as.add_update() = t;
  return as;
}

pb::Task task(const std::string& id, const std::string& network,
              const std::string& addr) {
  pb::Task t;
  t.set_id(id);
  auto& a = *t.add_networks();
  a.set_network_id(network);
  a.add_addresses(addr);
  return t;
}

// The address a server in `to` sees a connection from `from` come from (""
// when none came within the deadline; a completed handshake means the reply
// came back too).
std::string peer_seen(const os::netns& from, const os::netns& to, os::ipv4 ip,
                      int deadline_ms) {
  int lfd = test::socket_in(to, SOCK_STREAM);
  int cfd = test::socket_in(from, SOCK_STREAM | SOCK_NONBLOCK);
  int afd = -1;
  std::string seen;
  auto sa = test::sockaddr_of(ip, 0);
  socklen_t len = sizeof(sa);
  if (lfd >= 0 && cfd >= 0
      && ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0
      && ::listen(lfd, 1) == 0
      && ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
    int rc = ::connect(cfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    pollfd lp{lfd, POLLIN, 0};
    if ((rc == 0 || errno == EINPROGRESS) && ::poll(&lp, 1, deadline_ms) == 1)
      afd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    sockaddr_in peer{};
    socklen_t plen = sizeof(peer);
    if (afd >= 0
        && ::getpeername(afd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0)
      seen = os::to_string(os::ipv4{ntohl(peer.sin_addr.s_addr)});
  }
  for (int fd : {lfd, cfd, afd})
    if (fd >= 0)
      ::close(fd);
  return seen;
}

std::vector<std::string> links_of(const os::netns& ns) {
  auto conn = os::netlink_conn::open(ns);
  test::require_ok(conn);
  auto links = conn->links();
  test::require_ok(links);
  std::vector<std::string> out;
  for (auto& x : *links)
    if (x.name != "lo")
      out.push_back(x.name);
  return out;
}

} // namespace

TEST_CASE("root: through the network plane, a task on a network reaches the "
          "outside via the gateway and an internal one does not, across a "
          "restart, leaving nothing behind",
          "[unit][root]") {
  AS_REQUIRE_ROOT();
  test::test_hosts hosts("as-gwp", 2);
  auto& host = hosts.hosts[0];
  auto& inet = hosts.hosts[1];
  test::require_ok(nft::run(host.fd(), "table ip filter {\n"
                                       "  chain FORWARD {\n"
                                       "    type filter hook forward priority "
                                       "filter; policy drop;\n"
                                       "  }\n"
                                       "}\n"));
  test::test_pins pins("as-gwp-n0");
  auto make = [&] {
    os::overlay_config cfg;
    cfg.netns_dir = pins.dir.path();
    cfg.node_id = "g" + std::to_string(::getpid());
    cfg.underlay = hosts.addrs[0];
    auto h = host.dup();
    test::require_ok(h);
    auto dp = network::make_os_data_plane(cfg, std::move(*h));
    test::require_ok(dp->start());
    return dp;
  };
  auto dp = make();
  auto plane = std::make_unique<network::network_plane>(*dp);
  test::require_ok(plane->assign(full_set()));
  auto p1 = plane->prepare(task("t1", "pub", "10.0.1.5/24"));
  auto p2 = plane->prepare(task("t2", "int", "10.0.2.5/24"));
  test::require_ok(p1);
  test::require_ok(p2);
  auto ns1 = os::netns::open(*p1);
  auto ns2 = os::netns::open(*p2);
  test::require_ok(ns1);
  test::require_ok(ns2);
  CHECK(peer_seen(*ns1, inet, hosts.addrs[1], 3000) == "192.168.77.1");
  CHECK(peer_seen(*ns2, inet, hosts.addrs[1], 300).empty());
  CHECK(links_of(*ns1) == std::vector<std::string>{"eth0", "eth1"});
  CHECK(links_of(*ns2) == std::vector<std::string>{"eth0"});
  // A daemon killed with -9: a new data plane and plane adopt t1's leg.
  plane.reset();
  dp.reset();
  dp = make();
  plane = std::make_unique<network::network_plane>(*dp);
  test::require_ok(plane->assign(full_set({task("t1", "pub", "10.0.1.5/24"),
                                           task("t2", "int", "10.0.2.5/24")})));
  CHECK(peer_seen(*ns1, inet, hosts.addrs[1], 3000) == "192.168.77.1");
  CHECK(peer_seen(*ns2, inet, hosts.addrs[1], 300).empty());
  // A new task gets another address than the adopted one.
  auto p3 = plane->prepare(task("t3", "pub", "10.0.1.6/24"));
  test::require_ok(p3);
  auto ns3 = os::netns::open(*p3);
  test::require_ok(ns3);
  auto c3 = os::netlink_conn::open(*ns3);
  test::require_ok(c3);
  auto eth1 = c3->link("eth1");
  test::require_ok(eth1);
  auto a3 = c3->addresses(eth1->index);
  test::require_ok(a3);
  REQUIRE(a3->size() == 1);
  CHECK(os::to_string((*a3)[0]) != "172.18.0.2/16");
  CHECK(peer_seen(*ns3, inet, hosts.addrs[1], 3000) == "192.168.77.1");
  for (auto id : {"t1", "t2", "t3"})
    test::require_ok(plane->release(id));
  // The last leg's release removed the gateway with every leg on it, at
  // once, even though the test still holds the tasks' namespaces.
  auto left = links_of(host);
  CHECK(left == std::vector<std::string>{"eth0"});
  auto rules = nft::list(host.fd(), "list ruleset");
  test::require_ok(rules);
  CHECK(rules->find("actorswarm_gw") == rules->npos);
  CHECK(rules->find("policy drop;") != rules->npos);
  auto pinned = pins.dir.list();
  test::require_ok(pinned);
  CHECK(pinned->empty());
}
