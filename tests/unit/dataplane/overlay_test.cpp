#include "os/overlay.hpp"

#include <catch2/catch.hpp>

#include <memory>

#include "os/nftables.hpp"
#include "unit/dataplane/dataplane_test_support.hpp"

using namespace actorswarm;
using namespace actorswarm::os;
using namespace actorswarm::test;

namespace {

task_leg leg1(const char* addr) {
  task_leg leg;
  leg.network_id = "net1";
  leg.address = *parse_ipv4_prefix(addr);
  leg.default_route = true;
  return leg;
}

// The devices of a namespace other than lo and the ones listed.
std::vector<std::string> extra_links(const netns& ns,
                                     std::vector<std::string> expected) {
  auto conn = netlink_conn::open(ns);
  require_ok(conn);
  auto links = conn->links();
  require_ok(links);
  std::vector<std::string> out;
  for (auto& x : *links)
    if (x.name != "lo"
        && std::find(expected.begin(), expected.end(), x.name)
             == expected.end())
      out.push_back(x.name);
  return out;
}

std::vector<std::string> pinned(const test_pins& pins) {
  auto list = pins.dir.list();
  require_ok(list);
  std::vector<std::string> out;
  for (auto& p : *list)
    out.push_back(p.name);
  return out;
}

} // namespace

TEST_CASE("overlay: tasks on two hosts reach each other over VXLAN, and "
          "nothing is left after removal",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-ov-world", 2};
  test_node a{"as-ov-a", "aaaa0000000000000000000000", world.hosts[0],
              world.addrs[0]};
  test_node b{"as-ov-b", "bbbb0000000000000000000000", world.hosts[1],
              world.addrs[1]};
  CHECK(a.ov->mtu() == 1450);
  for (auto* n : {&a, &b})
    require_ok(n->ov->ensure_network(net1()));
  require_ok(a.ov->ensure_network(net1())); // idempotent
  auto ta = a.ov->create_task("ta");
  auto tb = b.ov->create_task("tb");
  require_ok(ta);
  require_ok(tb);
  require_ok(a.ov->attach_task("ta", leg1("10.10.0.2/24")));
  require_ok(a.ov->attach_task("ta", leg1("10.10.0.2/24"))); // idempotent
  require_ok(b.ov->attach_task("tb", leg1("10.10.0.3/24")));
  // Both nodes get the whole network; each skips its own tasks.
  std::vector<peer> peers{{*parse_ipv4("10.10.0.2"), world.addrs[0]},
                          {*parse_ipv4("10.10.0.3"), world.addrs[1]}};
  require_ok(a.ov->set_peers("net1", peers));
  require_ok(b.ov->set_peers("net1", peers));
  CHECK(tcp_exchange(*ta, *tb, *parse_ipv4("10.10.0.3"))
        == "hello over the overlay");
  CHECK(tcp_exchange(*tb, *ta, *parse_ipv4("10.10.0.2"))
        == "hello over the overlay");
  // The task's leg: the overlay MTU, the MAC its address implies.
  auto tconn = netlink_conn::open(*ta);
  require_ok(tconn);
  auto eth = tconn->link("eth0");
  require_ok(eth);
  CHECK(eth->mtu == 1450);
  CHECK(eth->mac == mac_from_ip(*parse_ipv4("10.10.0.2")));
  // The host namespaces got no device of ours.
  CHECK(extra_links(world.hosts[0], {"eth0"}).empty());
  CHECK(extra_links(world.hosts[1], {"eth0"}).empty());
  // Without the peer entries, nothing crosses.
  require_ok(a.ov->set_peers("net1", {}));
  CHECK(tcp_exchange(*ta, *tb, *parse_ipv4("10.10.0.3"), 300).empty());
  require_ok(a.ov->set_peers("net1", peers));
  CHECK(tcp_exchange(*ta, *tb, *parse_ipv4("10.10.0.3"))
        == "hello over the overlay");
  require_ok(a.ov->detach_task("ta", leg1("10.10.0.2/24")));
  require_ok(a.ov->detach_task("ta", leg1("10.10.0.2/24")));
  CHECK(extra_links(*ta, {}).empty());
  for (auto* n : {&a, &b}) {
    require_ok(n->ov->remove_task(n == &a ? "ta" : "tb"));
    require_ok(n->ov->remove_network("net1"));
    require_ok(n->ov->remove_network("net1"));
    CHECK(pinned(n->pins).empty());
  }
  CHECK(extra_links(world.hosts[0], {"eth0"}).empty());
  CHECK(extra_links(world.hosts[1], {"eth0"}).empty());
  // The VNI and port are free again at once.
  require_ok(a.ov->ensure_network(net1()));
  require_ok(a.ov->remove_network("net1"));
}

TEST_CASE("overlay: a restarted node adopts what is desired and removes the "
          "rest",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-ov-adopt-world", 1};
  test_node a{"as-ov-adopt", "cccc0000000000000000000000", world.hosts[0],
              world.addrs[0]};
  auto net2 = net1();
  net2.id = "net2";
  net2.vni = 4098;
  net2.subnet = *parse_ipv4_prefix("10.20.0.0/24");
  net2.gateway = *parse_ipv4("10.20.0.1");
  require_ok(a.ov->ensure_network(net1()));
  require_ok(a.ov->ensure_network(net2));
  for (auto id : {"t1", "t2"})
    require_ok(a.ov->create_task(id));
  require_ok(a.ov->attach_task("t1", leg1("10.10.0.2/24")));
  require_ok(a.ov->attach_task("t2", leg1("10.10.0.3/24")));
  // "Crash": drop the overlay without any cleanup; start a new one. Also a
  // tagged device in the host namespace (a crash between making a device
  // there and moving it away would leave one) and someone else's device.
  a.ov.reset();
  auto hconn = netlink_conn::open(world.hosts[0]);
  require_ok(hconn);
  require_ok(hconn->create_bridge("asccccb00beef", 0));
  require_ok(hconn->create_bridge("asddddb00beef", 0));
  overlay_config cfg;
  cfg.netns_dir = a.pins.dir.path();
  cfg.node_id = "cccc0000000000000000000000";
  cfg.underlay = world.addrs[0];
  overlay again{cfg, std::move(*world.hosts[0].dup())};
  require_ok(again.start());
  desired_state want;
  want.networks.push_back(net1());
  want.tasks.push_back(task_desc{"t1", {leg1("10.10.0.2/24")}});
  want.tasks.push_back(task_desc{"t9", {leg1("10.10.0.9/24")}});
  auto report = again.reconcile(want);
  require_ok(report);
  CHECK(report->adopted_networks == std::vector<std::string>{"net1"});
  CHECK(report->removed_networks == std::vector<std::string>{"net2"});
  CHECK(report->adopted_tasks == std::vector<std::string>{"t1"});
  CHECK(report->removed_tasks == std::vector<std::string>{"t2"});
  CHECK(report->missing_tasks == std::vector<std::string>{"t9"});
  CHECK(report->removed_devices == std::vector<std::string>{"asccccb00beef"});
  CHECK(extra_links(world.hosts[0], {"eth0"})
        == std::vector<std::string>{"asddddb00beef"});
  require_ok(hconn->delete_link(hconn->link("asddddb00beef")->index));
  CHECK(pinned(a.pins) == std::vector<std::string>{"n-net1", "t-t1"});
  // The adopted network works: its devices are the ones it had.
  require_ok(again.ensure_network(net1()));
  auto t1 = again.create_task("t1");
  require_ok(t1);
  auto n1 = a.pins.dir.open("n-net1");
  require_ok(n1);
  CHECK(extra_links(*n1, {"asccccb001001", "asccccv001001", "ascccct0a0a0002"})
          .empty());
  CHECK(extra_links(*t1, {"eth0"}).empty());
  // Then nothing desired: nothing left.
  report = again.reconcile(desired_state{});
  require_ok(report);
  CHECK(pinned(a.pins).empty());
  CHECK(extra_links(world.hosts[0], {"eth0"}).empty());
}

TEST_CASE("overlay: bad input is refused with one clear error and changes "
          "nothing",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-ov-bad-world", 1};
  test_node a{"as-ov-bad", "dddd0000000000000000000000", world.hosts[0],
              world.addrs[0]};
  auto bad = net1();
  bad.gateway = *parse_ipv4("10.11.0.1");
  auto r = a.ov->ensure_network(bad);
  CHECK(r.error().code == errc::invalid_spec);
  CHECK(r.error().message == "gateway 10.11.0.1 is not in subnet 10.10.0.0/24");
  bad = net1();
  bad.vni = 0;
  CHECK(a.ov->ensure_network(bad).error().code == errc::invalid_spec);
  bad.vni = vni_max + 1;
  CHECK(a.ov->ensure_network(bad).error().code == errc::invalid_spec);
  bad = net1();
  bad.id = "../x";
  CHECK(a.ov->ensure_network(bad).error().code == errc::invalid_spec);
  CHECK(pinned(a.pins).empty());
  CHECK(a.ov->set_peers("net1", {}).error().code == errc::not_found);
  CHECK(a.ov->attach_task("t", leg1("10.10.0.2/24")).error().code
        == errc::not_found);
  require_ok(a.ov->ensure_network(net1()));
  CHECK(a.ov->attach_task("t", leg1("10.10.0.2/24")).error().code
        == errc::not_found); // no namespace for the task
  require_ok(a.ov->create_task("t"));
  CHECK(a.ov->attach_task("t", leg1("10.11.0.2/24")).error().code
        == errc::invalid_spec);
  auto leg = leg1("10.10.0.2/24");
  leg.ifname = "a/b";
  CHECK(a.ov->attach_task("t", leg).error().code == errc::invalid_spec);
  std::vector<peer> two{{*parse_ipv4("10.10.0.5"), *parse_ipv4("192.168.1.1")},
                        {*parse_ipv4("10.10.0.5"), *parse_ipv4("192.168.1.2")}};
  CHECK(a.ov->set_peers("net1", two).error().message
        == "peer 10.10.0.5 is on two nodes");
  CHECK(a.ov->set_peers("net1", {{*parse_ipv4("10.9.0.5"), world.addrs[0]}})
          .error()
          .code
        == errc::invalid_spec);
  require_ok(a.ov->remove_task("t"));
  require_ok(a.ov->remove_network("net1"));
  CHECK(pinned(a.pins).empty());
}

TEST_CASE("overlay: an address handed out again right after its task's "
          "removal gets a fresh leg",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_hosts world{"as-ov-reuse-world", 1};
  test_node a{"as-ov-reuse", "eeee0000000000000000000000", world.hosts[0],
              world.addrs[0]};
  require_ok(a.ov->ensure_network(net1()));
  require_ok(a.ov->create_task("t1"));
  require_ok(a.ov->attach_task("t1", leg1("10.10.0.2/24")));
  auto held = a.pins.dir.open("t-t1"); // keeps t1's namespace, and leg, alive
  require_ok(held);
  require_ok(a.ov->remove_task("t1")); // lazy: the leg stays while held
  auto t2 = a.ov->create_task("t2");
  require_ok(t2);
  require_ok(a.ov->attach_task("t2", leg1("10.10.0.2/24")));
  auto conn = netlink_conn::open(*t2);
  require_ok(conn);
  auto eth = conn->link("eth0");
  require_ok(eth);
  CHECK(eth->up);
  CHECK(eth->mac == mac_from_ip(*parse_ipv4("10.10.0.2")));
  CHECK(to_string((*conn->addresses(eth->index))[0]) == "10.10.0.2/24");
  // The old task's end went with the replaced leg.
  CHECK(extra_links(*held, {}).empty());
  // Deleting the legs: gone when remove_task returns, even though held.
  require_ok(a.ov->remove_task("t2", true));
  auto n1 = a.pins.dir.open("n-net1");
  require_ok(n1);
  CHECK(extra_links(*n1, {"aseeeeb001001", "aseeeev001001"}).empty());
  CHECK(extra_links(*t2, {}).empty());
  require_ok(a.ov->remove_network("net1"));
  CHECK(pinned(a.pins).empty());
}

TEST_CASE("overlay: the ingress sandbox carries a published port from one "
          "host to a task on another, and goes without a trace",
          "[unit]") {
  AS_REQUIRE_ROOT();
  // host 0: the node with the sandbox; host 1: the task's; host 2: a client.
  test_hosts world{"as-ov-mesh", 3};
  test_node a{"as-ov-ma", "aaaa0000000000000000000000", world.hosts[0],
              world.addrs[0]};
  test_node b{"as-ov-mb", "bbbb0000000000000000000000", world.hosts[1],
              world.addrs[1]};
  for (auto* n : {&a, &b})
    require_ok(n->ov->ensure_network(net1()));
  auto tb = b.ov->create_task("tb");
  require_ok(tb);
  require_ok(b.ov->attach_task("tb", leg1("10.10.0.3/24")));
  sandbox_desc sd;
  sd.network_id = "net1";
  sd.address = *parse_ipv4_prefix("10.10.0.10/24");
  auto info = a.ov->ensure_sandbox(sd);
  require_ok(info);
  require_ok(a.ov->ensure_sandbox(sd)); // idempotent
  CHECK(info->host_device == "asaaaai000000");
  CHECK(to_string(info->sandbox_address) == "169.254.30.2");
  std::vector<peer> peers{{*parse_ipv4("10.10.0.3"), world.addrs[1]},
                          {*parse_ipv4("10.10.0.10"), world.addrs[0]}};
  require_ok(a.ov->set_peers("net1", peers));
  require_ok(b.ov->set_peers("net1", peers));
  nft::mesh_state m;
  m.sandbox_address = to_string(info->sandbox_address);
  m.host_device = info->host_device;
  nft::ingress_port port;
  port.published = 8000;
  port.target = 80;
  port.backends = {"10.10.0.3"};
  m.ingress_ports = {port};
  auto sbox = netns::open(info->netns_path);
  require_ok(sbox);
  require_ok(nft::apply_mesh(world.hosts[0].fd(), sbox->fd(), m));
  // The client reaches the task through host 0, which runs none.
  CHECK(tcp_exchange_via(world.hosts[2], *tb, *parse_ipv4("10.10.0.3"), 80,
                         world.addrs[0], 8000)
        == "hello over the overlay");
  // Bad input changes nothing.
  auto bad = sd;
  bad.address = *parse_ipv4_prefix("10.99.0.10/24");
  CHECK(a.ov->ensure_sandbox(bad).error().code == errc::invalid_spec);
  bad = sd;
  bad.link = *parse_ipv4_prefix("169.254.30.0/31");
  CHECK(a.ov->ensure_sandbox(bad).error().code == errc::invalid_spec);
  // Teardown: rules, link, leg, namespace.
  require_ok(nft::remove_mesh(world.hosts[0].fd(), sbox->fd()));
  sbox = netns{};
  require_ok(a.ov->remove_sandbox());
  require_ok(a.ov->remove_sandbox()); // idempotent
  CHECK(extra_links(world.hosts[0], {"eth0"}).empty());
  auto rules = nft::list(world.hosts[0].fd(), "list ruleset");
  require_ok(rules);
  CHECK(rules->find("actorswarm") == std::string::npos);
  require_ok(b.ov->remove_task("tb"));
  for (auto* n : {&a, &b}) {
    require_ok(n->ov->remove_network("net1"));
    CHECK(pinned(n->pins).empty());
  }
}
