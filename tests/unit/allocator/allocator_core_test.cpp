#include "actors/allocator/allocator_core.hpp"

#include <set>

#include <catch2/catch.hpp>

#include "unit/allocator/net_builders.hpp"

using namespace actorswarm;
using namespace actorswarm::allocator;
using namespace actorswarm::allocator::test;

namespace {

// A loop holding ingress (10.0.0.0/24) and network "n1" (allocated).
struct net_loop : leader_loop {
  net_loop() {
    create(make_network("ing", "10.0.0.0/24", true));
    create(make_network("n1"));
    settle();
  }

  // Creates service `svc` and `count` NEW tasks of it; settles.
  void run_service(const pb::Service& svc, int count) {
    create(svc);
    for (int i = 1; i <= count; ++i)
      create(make_new_task(svc.id() + "-t" + std::to_string(i), svc,
                           static_cast<uint64_t>(i)));
    settle();
  }

  // Every address of live tasks and services' VIPs, per network: no repeat.
  void check_unique() {
    std::set<std::string> seen;
    size_t n = 0;
    for (auto& [id, t] : db.tasks())
      if (!task_dead(*t))
        for (auto& att : t->networks())
          for (auto& a : att.addresses()) {
            seen.insert(att.network_id() + " " + a);
            ++n;
          }
    for (auto& [id, s] : db.services())
      for (auto& v : s->endpoint().virtual_ips()) {
        seen.insert(v.network_id() + " " + v.addr());
        ++n;
      }
    CHECK(seen.size() == n);
  }
};

std::vector<std::string> addresses_of(const pb::Task& t) {
  std::vector<std::string> out;
  for (auto& att : t.networks())
    for (auto& a : att.addresses())
      out.push_back(att.network_id() + " " + a);
  return out;
}

} // namespace

TEST_CASE("allocator core: networks get a subnet, gateway and VNI", "[unit]") {
  net_loop l;
  auto ing = l.network("ing");
  CHECK(ing.ipam().subnet() == "10.0.0.0/24");
  CHECK(ing.ipam().gateway() == "10.0.0.1");
  auto n1 = l.network("n1");
  CHECK(n1.ipam().subnet() == "10.0.1.0/24");
  CHECK(n1.ipam().gateway() == "10.0.1.1");
  CHECK(n1.vni() >= vni_first);
  CHECK(n1.vni() != ing.vni());
  CHECK(l.core.state().ingress_id() == "ing");
}

TEST_CASE("allocator core: a service gets a VIP per network and its tasks "
          "an address each, then go to PENDING",
          "[unit]") {
  net_loop l;
  auto svc = make_net_service("web", {"n1"});
  l.run_service(svc, 3);
  auto s = l.service("web");
  REQUIRE(s.endpoint().virtual_ips_size() == 1);
  CHECK(s.endpoint().virtual_ips(0).network_id() == "n1");
  CHECK(s.endpoint().virtual_ips(0).addr() == "10.0.1.2/24");
  std::set<std::string> addrs;
  for (int i = 1; i <= 3; ++i) {
    auto t = l.task("web-t" + std::to_string(i));
    CHECK(t.status().state() == pb::PENDING);
    REQUIRE(t.networks_size() == 1);
    CHECK(t.networks(0).network_id() == "n1");
    REQUIRE(t.networks(0).addresses_size() == 1);
    addrs.insert(t.networks(0).addresses(0));
    CHECK(t.networks(0).aliases(0) == "alias-web");
    CHECK(t.endpoint().virtual_ips_size() == 1);
  }
  CHECK(addrs
        == std::set<std::string>{"10.0.1.3/24", "10.0.1.4/24", "10.0.1.5/24"});
  l.check_unique();
}

TEST_CASE("allocator core: a task of a service without networks goes "
          "straight to PENDING",
          "[unit]") {
  net_loop l;
  auto svc = make_net_service("plain", {});
  svc.mutable_spec()->mutable_endpoint()->add_ports()->CopyFrom(
    make_port(80, 8080, pb::PortConfig::HOST));
  l.run_service(svc, 2);
  auto t = l.task("plain-t1");
  CHECK(t.status().state() == pb::PENDING);
  CHECK(t.networks_size() == 0);
  // Host-mode ports are kept as given, for the agent.
  REQUIRE(t.endpoint().ports_size() == 1);
  CHECK(t.endpoint().ports(0).published_port() == 8080);
  CHECK(l.core.state().ports().size() == 0);
}

TEST_CASE("allocator core: a service without networks or ports is never "
          "written, its tasks get no endpoint",
          "[unit]") {
  net_loop l;
  auto svc = make_net_service("plain", {});
  svc.mutable_spec()->mutable_endpoint(); // present, but empty
  l.create(svc);
  auto created = l.index;
  l.create(make_new_task("plain-t1", svc, 1));
  l.settle();
  auto s = l.service("plain");
  // Untouched since its creation: the versions control holds stay valid.
  CHECK(s.meta().version() == created);
  CHECK_FALSE(s.has_endpoint());
  CHECK_FALSE(l.task("plain-t1").has_endpoint());
  CHECK(l.task("plain-t1").status().state() == pb::PENDING);
}

TEST_CASE("allocator core: ingress-mode ports join ingress, unnumbered ones "
          "get 30000 and up",
          "[unit]") {
  net_loop l;
  auto svc = make_net_service("web", {},
                              {make_port(80, 8080), make_port(443, 0),
                               make_port(53, 0, pb::PortConfig::INGRESS,
                                         pb::PortConfig::UDP)});
  l.run_service(svc, 1);
  auto s = l.service("web");
  REQUIRE(s.endpoint().ports_size() == 3);
  CHECK(s.endpoint().ports(0).published_port() == 8080);
  CHECK(s.endpoint().ports(1).published_port() == 30000);
  CHECK(s.endpoint().ports(2).published_port() == 30000); // udp
  REQUIRE(s.endpoint().virtual_ips_size() == 1);
  CHECK(s.endpoint().virtual_ips(0).network_id() == "ing");
  CHECK(s.endpoint().virtual_ips(0).addr() == "10.0.0.2/24");
  auto t = l.task("web-t1");
  CHECK(addresses_of(t) == std::vector<std::string>{"ing 10.0.0.3/24"});
  // A second service asking for 8080 cannot have it.
  auto other = make_net_service("api", {}, {make_port(80, 8080)});
  l.run_service(other, 1);
  auto t2 = l.task("api-t1");
  CHECK(t2.status().state() == pb::NEW);
  CHECK(t2.status().err()
        == "network allocation failed: service svc-api: port '8080' is "
           "already in use by service 'web'");
  // Once web is gone, api gets the port and its task moves on.
  l.remove(l.service("web"));
  l.settle();
  CHECK(l.service("api").endpoint().ports(0).published_port() == 8080);
  CHECK(l.task("api-t1").status().state() == pb::PENDING);
  CHECK(l.task("api-t1").status().err().empty());
}

TEST_CASE("allocator core: endpoint mode dnsrr has no VIP, its tasks still "
          "get addresses",
          "[unit]") {
  net_loop l;
  l.run_service(make_net_service("db", {"n1"}, {}, true), 2);
  CHECK(l.service("db").endpoint().virtual_ips_size() == 0);
  CHECK(l.task("db-t1").networks_size() == 1);
  CHECK(l.task("db-t2").status().state() == pb::PENDING);
}

TEST_CASE("allocator core: addresses go back when tasks die or are removed, "
          "VIPs and ports when the service goes",
          "[unit]") {
  net_loop l;
  l.run_service(make_net_service("web", {"n1"}, {make_port(80, 0)}), 2);
  auto t1 = l.task("web-t1");
  auto a1 = *parse_interface(t1.networks(0).addresses(0));
  auto& ip = l.core.state().addresses();
  CHECK(ip.address_in_use("n1", a1.addr));
  // Dead: its process is gone for good.
  t1.mutable_status()->set_state(pb::FAILED);
  REQUIRE(l.apply(one(pb::StoreAction::UPDATE, t1)) == 0);
  CHECK_FALSE(ip.address_in_use("n1", a1.addr));
  auto t2 = l.task("web-t2");
  auto a2 = *parse_interface(t2.networks(0).addresses(0));
  l.remove(t2);
  CHECK_FALSE(ip.address_in_use("n1", a2.addr));
  CHECK(l.core.state().task_count() == 0);
  auto vip
    = *parse_interface(l.service("web").endpoint().virtual_ips(0).addr());
  CHECK(ip.address_in_use("n1", vip.addr));
  CHECK(l.core.state().ports().size() == 1);
  l.remove(l.service("web"));
  CHECK_FALSE(ip.address_in_use("n1", vip.addr));
  CHECK(l.core.state().ports().size() == 0);
  CHECK(ip.free_addresses("n1") == 253);
}

TEST_CASE("allocator core: an endpoint change keeps what stays and releases "
          "what goes",
          "[unit]") {
  net_loop l;
  l.create(make_network("n2"));
  l.run_service(make_net_service("web", {"n1"},
                                 {make_port(80, 0), make_port(81, 9000)}),
                0);
  auto before = l.service("web");
  REQUIRE(before.endpoint().ports_size() == 2);
  auto vip_n1 = before.endpoint().virtual_ips(0).addr();
  auto s = before;
  auto& spec = *s.mutable_spec();
  spec.add_networks()->set_target("n2");
  spec.mutable_endpoint()->mutable_ports()->RemoveLast(); // drop 9000
  REQUIRE(l.apply(one(pb::StoreAction::UPDATE, s)) == 0);
  l.settle();
  auto after = l.service("web");
  REQUIRE(after.endpoint().virtual_ips_size() == 3); // n1, n2, ingress
  CHECK(after.endpoint().virtual_ips(0).addr() == vip_n1);
  CHECK(after.endpoint().virtual_ips(1).network_id() == "n2");
  REQUIRE(after.endpoint().ports_size() == 1);
  CHECK(after.endpoint().ports(0).published_port() == 30000); // kept
  CHECK(l.core.state().ports().owner(port_protocol::tcp, 9000) == nullptr);
  // Dropping every network and port releases the VIPs.
  s = after;
  s.mutable_spec()->clear_networks();
  s.mutable_spec()->mutable_endpoint()->clear_ports();
  REQUIRE(l.apply(one(pb::StoreAction::UPDATE, s)) == 0);
  l.settle();
  CHECK(l.service("web").endpoint().virtual_ips_size() == 0);
  CHECK(l.core.state().addresses().free_addresses("n1") == 253);
  CHECK(l.core.state().ports().size() == 0);
}

TEST_CASE("allocator core: a full /29 leaves tasks NEW with the reason, "
          "retried when an address frees up",
          "[unit]") {
  leader_loop l;
  l.create(make_network("small", "10.9.9.8/29"));
  l.settle();
  CHECK(l.network("small").ipam().subnet() == "10.9.9.8/29");
  // 5 host addresses: the VIP and 4 tasks; the fifth task waits.
  auto svc = make_net_service("web", {"small"});
  l.create(svc);
  for (int i = 1; i <= 5; ++i)
    l.create(make_new_task("t" + std::to_string(i), svc, i));
  l.settle();
  size_t pending = 0;
  std::string waiting;
  for (int i = 1; i <= 5; ++i) {
    auto t = l.task("t" + std::to_string(i));
    if (t.status().state() == pb::PENDING)
      ++pending;
    else
      waiting = t.id();
  }
  REQUIRE(pending == 4);
  auto w = l.task(waiting);
  CHECK(w.status().state() == pb::NEW);
  CHECK(w.status().err()
        == "network allocation failed: network small: no available "
           "addresses on this pool");
  CHECK(l.core.blocked_count() == 1);
  // Nothing more is proposed while nothing changes.
  CHECK(l.settle() == 0);
  l.remove(l.task(waiting == "t1" ? "t2" : "t1"));
  l.settle();
  CHECK(l.task(waiting).status().state() == pb::PENDING);
  CHECK(l.core.blocked_count() == 0);
}

TEST_CASE("allocator core: a network whose pool is exhausted stays "
          "unallocated with a warning",
          "[unit]") {
  leader_loop l;
  pb::Cluster c;
  c.set_id("c1");
  c.mutable_spec()->add_default_addr_pool("10.20.0.0/24");
  c.mutable_spec()->set_subnet_size(25);
  l.create(c);
  l.create(make_network("a"));
  l.create(make_network("b"));
  l.create(make_network("c"));
  l.settle();
  CHECK(l.network("a").ipam().subnet() == "10.20.0.0/25");
  CHECK(l.network("b").ipam().subnet() == "10.20.0.128/25");
  CHECK(l.network("c").vni() == 0);
  auto w = l.core.take_warnings();
  REQUIRE(w.size() == 1);
  CHECK(w[0]
        == "network net-c (c): could not find an available, "
           "non-overlapping IPv4 address pool among the defaults to assign "
           "to the network");
  l.remove(l.network("a"));
  l.settle();
  CHECK(l.network("c").ipam().subnet() == "10.20.0.0/25");
}

TEST_CASE("allocator core: a refused task update leaks nothing", "[unit]") {
  net_loop l;
  auto svc = make_net_service("web", {"n1"});
  l.create(svc);
  l.create(make_new_task("t1", svc, 1));
  auto b = l.core.next_batch(0);
  REQUIRE(b);
  // Someone else changes the task first: the allocator's update is stale.
  auto t = l.task("t1");
  t.set_desired_state(pb::SHUTDOWN);
  REQUIRE(l.apply(one(pb::StoreAction::UPDATE, t)) == 0);
  CHECK(l.apply(*b) >= 1);
  l.settle();
  auto got = l.task("t1");
  CHECK(got.status().state() == pb::PENDING);
  // The same address as first held: none leaked.
  CHECK(l.core.state().addresses().free_addresses("n1") == 253 - 2);
}

TEST_CASE("allocator core: a new leader restores everything and allocates "
          "nothing twice",
          "[unit]") {
  net_loop l;
  l.run_service(make_net_service("web", {"n1"}, {make_port(80, 0)}), 20);
  l.run_service(make_net_service("api", {"n1"}, {make_port(80, 8080)}), 20);
  // Removed just before the failover: its address is free in the store.
  l.remove(l.task("web-t20"));
  // The new leader's core, over the same store.
  allocator_core fresh;
  auto conflicts = fresh.restore(l.db);
  CHECK(conflicts.empty());
  CHECK_FALSE(fresh.next_batch(0)); // all allocated already
  auto& ip = fresh.state().addresses();
  CHECK(ip.free_addresses("n1") == 253 - 2 - 39);
  CHECK(ip.free_addresses("ing") == 253 - 2 - 39);
  CHECK(fresh.state().ports().owner(port_protocol::tcp, 30000) != nullptr);
  CHECK(*fresh.state().ports().owner(port_protocol::tcp, 8080) == "api");
  CHECK(fresh.state().addresses().network("n1")->vni == l.network("n1").vni());
  // New work on the new leader: nothing handed out twice.
  l.core = std::move(fresh);
  auto more = make_net_service("more", {"n1"}, {make_port(90, 0)});
  l.run_service(more, 10);
  l.check_unique();
  CHECK(l.service("more").endpoint().ports(0).published_port() == 30001);
}

TEST_CASE("allocator core: restore reports an address held twice", "[unit]") {
  net_loop l;
  auto svc = make_net_service("web", {"n1"});
  l.run_service(svc, 1);
  // A second task claiming the first one's address (a corrupted store).
  auto twin = make_new_task("twin", svc, 2);
  twin.mutable_status()->set_state(pb::PENDING);
  *twin.mutable_networks() = l.task("web-t1").networks();
  l.create(twin);
  allocator_core fresh;
  auto conflicts = fresh.restore(l.db);
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].find("Address already in use: 10.0.1.3")
        != std::string::npos);
}
