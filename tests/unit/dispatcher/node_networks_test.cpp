// The network part of a node's assignments (assignments.hpp node_networks):
// what the node's data plane needs, and only that.

#include "actors/dispatcher/assignments.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace actorswarm;
using namespace actorswarm::dispatcher;

namespace {

pb::Task net_task(const std::string& id, const std::string& svc,
                  const std::string& node, pb::TaskState state,
                  const std::string& network, const std::string& addr) {
  pb::Task t;
  t.set_id(id);
  t.set_service_id(svc);
  t.set_node_id(node);
  t.set_desired_state(pb::RUNNING);
  t.mutable_status()->set_state(state);
  if (!network.empty()) {
    auto& a = *t.add_networks();
    a.set_network_id(network);
    a.add_addresses(addr);
  }
  return t;
}

pb::Network network(const std::string& id, uint32_t vni,
                    const std::string& subnet) {
  pb::Network n;
  n.set_id(id);
  n.mutable_spec()->set_name(id + "-name");
  n.set_vni(vni);
  n.mutable_ipam()->set_subnet(subnet);
  return n;
}

pb::Node node(const std::string& id, const std::string& addr) {
  pb::Node n;
  n.set_id(id);
  n.mutable_status()->set_addr(addr);
  return n;
}

pb::Service service(const std::string& id, const std::string& name,
                    const std::string& network, const std::string& vip) {
  pb::Service s;
  s.set_id(id);
  s.mutable_spec()->set_name(name);
  auto& v = *s.mutable_endpoint()->add_virtual_ips();
  v.set_network_id(network);
  v.set_addr(vip);
  return s;
}

struct world {
  std::vector<pb::Task> tasks;
  std::vector<pb::Network> networks;
  std::vector<pb::Node> nodes;
  std::vector<pb::Service> services;
  uint32_t port = 0;

  store::object_store view() const {
    store::change_set cs;
    cs.index = 1;
    auto add = [&cs](auto fill) {
      store::change c;
      c.kind = pb::StoreAction::CREATE;
      fill(c);
      cs.changes.push_back(std::move(c));
    };
    for (auto& x : nodes)
      add([&](store::change& c) {
        c.node_after = std::make_shared<const pb::Node>(x);
      });
    for (auto& x : networks)
      add([&](store::change& c) {
        c.network_after = std::make_shared<const pb::Network>(x);
      });
    for (auto& x : services)
      add([&](store::change& c) {
        c.service_after = std::make_shared<const pb::Service>(x);
      });
    for (auto& x : tasks)
      add([&](store::change& c) {
        c.task_after = std::make_shared<const pb::Task>(x);
      });
    pb::Cluster cl;
    cl.set_id("cluster");
    cl.mutable_spec()->set_data_path_port(port);
    add([&](store::change& c) {
      c.cluster_after = std::make_shared<const pb::Cluster>(cl);
    });
    store::object_store v;
    v.apply_changes(cs);
    return v;
  }
};

world three_nodes() {
  world w;
  w.nodes = {node("n1", "192.168.1.1:2377"), node("n2", "192.168.1.2:2377"),
             node("n3", "192.168.1.3")};
  w.networks = {network("app", 4097, "10.0.1.0/24"),
                network("other", 4098, "10.0.2.0/24")};
  pb::Service db; // dnsrr: no VIP
  db.set_id("db");
  db.mutable_spec()->set_name("db");
  w.services = {service("web", "web", "app", "10.0.1.2/24"), db};
  w.tasks = {net_task("t1", "web", "n1", pb::RUNNING, "app", "10.0.1.5/24"),
             net_task("t2", "web", "n2", pb::RUNNING, "app", "10.0.1.6/24"),
             net_task("t3", "db", "n3", pb::RUNNING, "other", "10.0.2.5/24")};
  return w;
}

} // namespace

TEST_CASE("addr_host keeps the host part of a node address", "[unit]") {
  CHECK(addr_host("10.0.0.2:2377") == "10.0.0.2");
  CHECK(addr_host("10.0.0.2") == "10.0.0.2");
  CHECK(addr_host("[fd00::1]:2377") == "fd00::1");
  CHECK(addr_host("fd00::1") == "fd00::1");
  CHECK(addr_host("") == "");
}

TEST_CASE("a node gets the networks its tasks are on, with peers and VIPs",
          "[unit]") {
  auto w = three_nodes();
  w.port = 7789;
  auto v = w.view();
  auto xs = node_networks(v, "n1");
  REQUIRE(xs.size() == 1);
  auto& n = xs[0];
  CHECK(n.network().id() == "app");
  CHECK(n.network().vni() == 4097);
  REQUIRE(n.peers_size() == 2);
  CHECK(n.peers(0).task_id() == "t1");
  CHECK(n.peers(0).address() == "10.0.1.5/24");
  CHECK(n.peers(0).node_addr() == "192.168.1.1");
  CHECK(n.peers(0).service_id() == "web");
  CHECK(n.peers(0).slot() == "n1"); // no slot: a global task's node
  CHECK(n.peers(0).running());
  CHECK(n.peers(1).task_id() == "t2");
  CHECK(n.peers(1).node_addr() == "192.168.1.2");
  REQUIRE(n.services_size() == 1);
  CHECK(n.services(0).name() == "web");
  CHECK(n.services(0).vip() == "10.0.1.2/24");
  REQUIRE(n.services(0).backends_size() == 2);
  CHECK(n.services(0).backends(0) == "10.0.1.5/24");
  pb::Assignments as;
  fill_networks(v, "n1", as);
  CHECK(as.networks_set());
  CHECK(as.data_path_port() == 7789);
  // n3 only holds "other": n1's network is not its business.
  auto ys = node_networks(v, "n3");
  REQUIRE(ys.size() == 1);
  CHECK(ys[0].network().id() == "other");
  CHECK(ys[0].peers_size() == 1);
  CHECK(ys[0].services_size() == 1); // db: no VIP, but a task there
  CHECK(ys[0].services(0).vip().empty());
}

TEST_CASE("a node without tasks on a network gets none", "[unit]") {
  auto w = three_nodes();
  w.tasks.push_back(net_task("t4", "plain", "n4", pb::RUNNING, "", ""));
  w.nodes.push_back(node("n4", "192.168.1.4:2377"));
  auto v = w.view();
  CHECK(node_networks(v, "n4").empty());
  CHECK(node_networks(v, "nobody").empty());
}

TEST_CASE("only running tasks not asked to stop are VIP backends, every "
          "assigned task is a peer",
          "[unit]") {
  auto w = three_nodes();
  w.tasks[1].mutable_status()->set_state(pb::STARTING);
  w.tasks.push_back(net_task("t5", "web", "n2", pb::RUNNING, "app",
                             "10.0.1.7/24"));
  w.tasks.back().set_desired_state(pb::SHUTDOWN);
  w.tasks.push_back(net_task("t6", "web", "n2", pb::FAILED, "app",
                             "10.0.1.8/24"));
  auto v = w.view();
  auto xs = node_networks(v, "n1");
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].peers_size() == 3); // t1, t2, t5; not the failed t6
  REQUIRE(xs[0].services_size() == 1);
  REQUIRE(xs[0].services(0).backends_size() == 1);
  CHECK(xs[0].services(0).backends(0) == "10.0.1.5/24");
}

TEST_CASE("an unallocated network or an addressless node is left out",
          "[unit]") {
  auto w = three_nodes();
  w.networks[0].set_vni(0);
  CHECK(node_networks(w.view(), "n1").empty());
  w = three_nodes();
  w.nodes[1].mutable_status()->set_addr("");
  auto xs = node_networks(w.view(), "n1");
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].peers_size() == 1); // t2's node has no address yet
  CHECK(xs[0].services(0).backends_size() == 2);
}

TEST_CASE("the network digest changes only when the node's part does",
          "[unit]") {
  auto w = three_nodes();
  pb::Assignments a, b, c;
  auto d1 = fill_networks(w.view(), "n1", a);
  // A task on another network, on another node: n1's part is the same.
  w.tasks.push_back(net_task("t7", "db", "n3", pb::RUNNING, "other",
                             "10.0.2.6/24"));
  auto d2 = fill_networks(w.view(), "n1", b);
  CHECK(d1 == d2);
  w.tasks.push_back(net_task("t8", "web", "n3", pb::RUNNING, "app",
                             "10.0.1.9/24"));
  auto d3 = fill_networks(w.view(), "n1", c);
  CHECK(d1 != d3);
}

TEST_CASE("only changes that can move a network part are looked at", "[unit]") {
  auto w = three_nodes();
  store::change_set cs;
  store::change c;
  c.kind = pb::StoreAction::UPDATE;
  pb::Task plain;
  plain.set_id("p");
  c.task_before = std::make_shared<const pb::Task>(plain);
  c.task_after = std::make_shared<const pb::Task>(plain);
  cs.changes.push_back(c);
  CHECK_FALSE(touches_networks(cs));
  cs.changes[0].task_after = std::make_shared<const pb::Task>(w.tasks[0]);
  CHECK(touches_networks(cs));
  store::change n;
  n.kind = pb::StoreAction::UPDATE;
  n.node_before = std::make_shared<const pb::Node>(w.nodes[0]);
  n.node_after = std::make_shared<const pb::Node>(w.nodes[0]);
  store::change_set ns;
  ns.changes.push_back(n);
  CHECK_FALSE(touches_networks(ns)); // a heartbeat's status update
  auto moved = w.nodes[0];
  moved.mutable_status()->set_addr("192.168.9.9:2377");
  ns.changes[0].node_after = std::make_shared<const pb::Node>(moved);
  CHECK(touches_networks(ns));
  // Its ingress address arriving (the allocator) moves its mesh.
  auto addressed = w.nodes[0];
  auto& att = *addressed.add_attachments();
  att.set_network_id("ing");
  att.add_addresses("10.0.0.2/24");
  ns.changes[0].node_after = std::make_shared<const pb::Node>(addressed);
  CHECK(touches_networks(ns));
  // A service on no network (a label changed) moves nothing; one on a
  // network, or publishing a port (ingress), does.
  pb::Service bare;
  bare.set_id("s");
  store::change sc;
  sc.kind = pb::StoreAction::UPDATE;
  sc.service_before = std::make_shared<const pb::Service>(bare);
  sc.service_after = std::make_shared<const pb::Service>(bare);
  store::change_set ss;
  ss.changes.push_back(sc);
  CHECK_FALSE(touches_networks(ss));
  auto attached = bare;
  attached.mutable_spec()->add_networks()->set_target("net-app");
  ss.changes[0].service_after = std::make_shared<const pb::Service>(attached);
  CHECK(touches_networks(ss));
  auto published = bare;
  published.mutable_spec()->mutable_endpoint()->add_ports()->set_target_port(
    80);
  ss.changes[0].service_after = std::make_shared<const pb::Service>(published);
  CHECK(touches_networks(ss));
}

namespace {

// three_nodes() plus the ingress network, every node's sandbox address on
// it, and "pub" publishing 8000 -> 80 in ingress mode with one task on n2.
world with_mesh() {
  auto w = three_nodes();
  auto in = network("ing", 4096, "10.0.0.0/24");
  in.mutable_spec()->set_ingress(true);
  w.networks.push_back(in);
  int k = 2;
  for (auto& n : w.nodes) {
    auto& a = *n.add_attachments();
    a.set_network_id("ing");
    a.add_addresses("10.0.0." + std::to_string(k++) + "/24");
  }
  auto pub = service("pub", "pub", "ing", "10.0.0.9/24");
  auto& p = *pub.mutable_endpoint()->add_ports();
  p.set_target_port(80);
  p.set_published_port(8000);
  w.services.push_back(pub);
  w.tasks.push_back(net_task("t4", "pub", "n2", pb::RUNNING, "ing",
                             "10.0.0.10/24"));
  return w;
}

} // namespace

TEST_CASE("while a port is published in ingress mode every node gets the "
          "ingress network, every sandbox as a peer, the ports and its own "
          "address",
          "[unit]") {
  auto w = with_mesh();
  auto v = w.view();
  // n3 runs no task of "pub": it still gets the mesh.
  auto xs = node_networks(v, "n3");
  REQUIRE(xs.size() == 2);
  auto& in = xs[0];
  CHECK(in.network().id() == "ing");
  REQUIRE(in.peers_size() == 4);
  CHECK(in.peers(0).task_id().empty()); // the sandboxes, by node id
  CHECK(in.peers(0).node_id() == "n1");
  CHECK(in.peers(0).address() == "10.0.0.2/24");
  CHECK(in.peers(2).address() == "10.0.0.4/24");
  CHECK(in.peers(3).task_id() == "t4");
  REQUIRE(in.services_size() == 1);
  CHECK(in.services(0).name() == "pub");
  REQUIRE(in.services(0).ports_size() == 1);
  CHECK(in.services(0).ports(0).published_port() == 8000);
  CHECK(in.services(0).backends(0) == "10.0.0.10/24");
  CHECK(ingress_address(v, "n3") == "10.0.0.4/24");
  pb::Assignments as;
  fill_networks(v, "n3", as);
  CHECK(as.ingress_address() == "10.0.0.4/24");
  // Without a published port: no mesh, no ingress network.
  w.services.back().mutable_endpoint()->clear_ports();
  w.tasks.pop_back();
  auto v2 = w.view();
  CHECK(ingress_address(v2, "n3").empty());
  auto ys = node_networks(v2, "n3");
  REQUIRE(ys.size() == 1);
  CHECK(ys[0].network().id() == "other");
}

TEST_CASE("a node without its ingress address yet gets no mesh", "[unit]") {
  auto w = with_mesh();
  w.nodes[2].clear_attachments();
  auto v = w.view();
  CHECK(ingress_address(v, "n3").empty());
  auto xs = node_networks(v, "n3");
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].network().id() == "other");
  // The others do not list it as a peer either.
  auto ys = node_networks(v, "n1");
  REQUIRE(ys.size() == 2);
  CHECK(ys[1].network().id() == "ing");
  CHECK(ys[1].peers_size() == 3);
}

TEST_CASE("a task with a health check is a backend only while healthy",
          "[unit]") {
  auto w = three_nodes();
  auto check = [](pb::Task& t, pb::TaskStatus::Health h) {
    auto& hc = *t.mutable_spec()->mutable_container()->mutable_healthcheck();
    hc.add_test("CMD-SHELL");
    hc.add_test("true");
    t.mutable_status()->set_health(h);
  };
  check(w.tasks[0], pb::TaskStatus::STARTING);
  check(w.tasks[1], pb::TaskStatus::HEALTHY);
  w.tasks.push_back(net_task("t7", "web", "n2", pb::RUNNING, "app",
                             "10.0.1.9/24"));
  check(w.tasks.back(), pb::TaskStatus::UNHEALTHY);
  // --no-healthcheck: no check, so running is enough.
  w.tasks.push_back(net_task("t8", "web", "n2", pb::RUNNING, "app",
                             "10.0.1.10/24"));
  w.tasks.back()
    .mutable_spec()
    ->mutable_container()
    ->mutable_healthcheck()
    ->add_test("NONE");
  auto v = w.view();
  auto xs = node_networks(v, "n1");
  REQUIRE(xs.size() == 1);
  REQUIRE(xs[0].services_size() == 1);
  std::vector<std::string> backends(xs[0].services(0).backends().begin(),
                                    xs[0].services(0).backends().end());
  std::sort(backends.begin(), backends.end());
  CHECK(backends == std::vector<std::string>{"10.0.1.10/24", "10.0.1.6/24"});
  // Peers (DNS's task records) say running only for the healthy ones.
  for (auto& p : xs[0].peers()) {
    INFO(p.task_id());
    CHECK(p.running() == (p.task_id() == "t2" || p.task_id() == "t8"));
  }
}
