#include "actors/allocator/allocator_actor.hpp"

#include <set>
#include <string>

#include "actor/store_fixture.hpp"
#include "actors/allocator/network_allocator.hpp"
#include "unit/allocator/net_builders.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using actorswarm::allocator::test::make_net_node;
using actorswarm::allocator::test::make_net_service;
using actorswarm::allocator::test::make_network;
using actorswarm::allocator::test::make_new_task;
using actorswarm::allocator::test::make_port;
using actorswarm::allocator::test::node_status;
using actorswarm::allocator::test::one;

namespace {

// A store holding ingress and network n1, and an allocator watching it.
struct allocator_fixture : store_fixture {
  allocator::allocator_actor_type alloc;

  allocator_fixture() {
    spawn_store();
    propose(one(pb::StoreAction::CREATE,
                make_network("ing", "10.0.0.0/24", true)));
    propose(one(pb::StoreAction::CREATE, make_network("n1")));
    alloc = start_allocator();
  }

  allocator::allocator_actor_type start_allocator() {
    auto x = track(allocator::spawn_allocator(sys, store, clk));
    drain();
    return x;
  }

  // Creates `svc` and `count` NEW tasks of it, one batch each; drains.
  void run_service(const pb::Service& svc, int count) {
    propose(one(pb::StoreAction::CREATE, svc));
    for (int i = 1; i <= count; ++i)
      propose(one(pb::StoreAction::CREATE,
                  make_new_task(svc.id() + "-t" + std::to_string(i), svc,
                                static_cast<uint64_t>(i))));
    drain();
  }

  // Live tasks' addresses, services' VIPs and nodes' addresses; fails on a
  // repeat.
  size_t check_unique() {
    auto v = view();
    std::set<std::string> seen;
    size_t n = 0;
    for (auto& [id, t] : v->tasks())
      if (!allocator::task_dead(*t))
        for (auto& att : t->networks())
          for (auto& a : att.addresses()) {
            seen.insert(att.network_id() + " " + a);
            ++n;
          }
    for (auto& [id, s] : v->services())
      for (auto& vip : s->endpoint().virtual_ips()) {
        seen.insert(vip.network_id() + " " + vip.addr());
        ++n;
      }
    for (auto& [id, x] : v->nodes())
      for (auto& att : x->attachments())
        for (auto& a : att.addresses()) {
          seen.insert(att.network_id() + " " + a);
          ++n;
        }
    CHECK(seen.size() == n);
    return n;
  }

  size_t count_state(pb::TaskState state) {
    size_t n = 0;
    auto v = view(); // held: the tables live in it
    for (auto& [id, t] : v->tasks())
      n += t->status().state() == state ? 1 : 0;
    return n;
  }
};

} // namespace

TEST_CASE_METHOD(allocator_fixture,
                 "allocator: networks, a service's VIP and ports and its "
                 "tasks' addresses are store state before the tasks pend",
                 "[actor]") {
  auto v = view();
  auto& n1 = *v->networks().at("n1");
  CHECK(n1.ipam().subnet() == "10.0.1.0/24");
  CHECK(n1.vni() >= allocator::vni_first);
  run_service(make_net_service("web", {"n1"}, {make_port(80, 0)}), 3);
  v = view();
  auto& s = *v->services().at("web");
  REQUIRE(s.endpoint().virtual_ips_size() == 2); // n1 and ingress
  CHECK(s.endpoint().ports(0).published_port() == 30000);
  for (auto& [id, t] : v->tasks()) {
    INFO(t->ShortDebugString());
    CHECK(t->status().state() == pb::PENDING);
    REQUIRE(t->networks_size() == 2);
    CHECK(t->networks(0).network_id() == "n1");
    CHECK(t->networks(1).network_id() == "ing");
    CHECK(t->endpoint().ports(0).published_port() == 30000);
  }
  CHECK(check_unique() == 2 + 3 * 2);
}

TEST_CASE_METHOD(allocator_fixture,
                 "allocator: a removed task's address and a removed "
                 "service's VIP go back",
                 "[actor]") {
  auto svc = make_net_service("web", {"n1"});
  run_service(svc, 1);
  auto t = *view()->tasks().at("web-t1");
  propose(one(pb::StoreAction::REMOVE, t));
  propose(one(pb::StoreAction::REMOVE, *view()->services().at("web")));
  drain();
  // Everything of web is free again: a new service and task on n1 get
  // addresses after web's (the cursor moves on), and none repeats.
  run_service(make_net_service("api", {"n1"}), 1);
  auto v = view();
  CHECK(v->services().at("api")->endpoint().virtual_ips(0).addr()
        == "10.0.1.4/24");
  CHECK(v->tasks().at("api-t1")->networks(0).addresses(0) == "10.0.1.5/24");
}

TEST_CASE_METHOD(allocator_fixture,
                 "allocator: a fresh allocator over a store that holds "
                 "allocations allocates nothing twice",
                 "[actor]") {
  run_service(make_net_service("web", {"n1"}, {make_port(80, 8080)}), 5);
  // The leader changes: the old allocator stops, a new one starts over the
  // same store and proposes nothing for what is allocated.
  caf::anon_send_exit(alloc, caf::exit_reason::user_shutdown);
  drain();
  auto before = view()->applied_index();
  alloc = start_allocator();
  CHECK(view()->applied_index() == before);
  run_service(make_net_service("api", {"n1"}, {make_port(81, 0)}), 5);
  CHECK(count_state(pb::PENDING) == 10);
  CHECK(check_unique() == 2 + 2 + 10 * 2);
  CHECK(view()->services().at("api")->endpoint().ports(0).published_port()
        == 30000);
}

TEST_CASE_METHOD(allocator_fixture,
                 "allocator: tasks beyond a full subnet stay NEW with the "
                 "reason and go on once an address frees up",
                 "[actor]") {
  propose(one(pb::StoreAction::CREATE, make_network("small", "10.9.9.0/29")));
  drain();
  auto svc = make_net_service("web", {"small"});
  run_service(svc, 6); // the VIP and 4 tasks fit
  CHECK(count_state(pb::PENDING) == 4);
  REQUIRE(count_state(pb::NEW) == 2);
  std::string done;
  auto v = view();
  for (auto& [id, t] : v->tasks())
    if (t->status().state() == pb::NEW)
      CHECK(t->status().err()
            == "network allocation failed: network small: no available "
               "addresses on this pool");
    else
      done = t->id();
  propose(one(pb::StoreAction::REMOVE, *view()->tasks().at(done)));
  drain();
  CHECK(count_state(pb::PENDING) == 4);
  CHECK(count_state(pb::NEW) == 1);
  check_unique();
}

TEST_CASE_METHOD(allocator_fixture,
                 "allocator: every node gets an address on ingress, kept "
                 "across status updates and a new leader",
                 "[actor]") {
  // Nodes get their address once a port is published in ingress mode.
  propose(one(pb::StoreAction::CREATE, make_net_node("a")));
  drain();
  CHECK(view()->nodes().at("a")->attachments_size() == 0);
  propose(one(pb::StoreAction::CREATE,
              make_net_service("pub", {}, {make_port(80, 8080)})));
  propose(one(pb::StoreAction::CREATE,
              make_net_node("b", pb::NodeSpec::MANAGER)));
  drain();
  auto v = view();
  std::set<std::string> addrs;
  for (auto id : {"a", "b"}) {
    auto& n = *v->nodes().at(id);
    INFO(n.ShortDebugString());
    REQUIRE(n.attachments_size() == 1);
    CHECK(n.attachments(0).network_id() == "ing");
    REQUIRE(n.attachments(0).addresses_size() == 1);
    addrs.insert(n.attachments(0).addresses(0));
  }
  // .2 is the service's VIP on ingress.
  CHECK(addrs == std::set<std::string>{"10.0.0.3/24", "10.0.0.4/24"});
  // The dispatcher's status-only update keeps it; nothing more is proposed.
  propose(node_status(*v->nodes().at("a"), pb::NodeStatus::DOWN));
  drain();
  auto before = view()->applied_index();
  CHECK(view()->nodes().at("a")->attachments_size() == 1);
  // A new leader proposes nothing for nodes that have their address.
  caf::anon_send_exit(alloc, caf::exit_reason::user_shutdown);
  drain();
  alloc = start_allocator();
  CHECK(view()->applied_index() == before);
  run_service(make_net_service("web", {"n1"}, {make_port(80, 0)}), 3);
  CHECK(count_state(pb::PENDING) == 3);
  CHECK(check_unique() == 1 + 2 + 3 * 2 + 2); // + pub's VIP
  // A removed node's address goes back to ingress: the next node takes the
  // next address after the cursor, and none repeats.
  propose(one(pb::StoreAction::REMOVE, *view()->nodes().at("a")));
  propose(one(pb::StoreAction::CREATE, make_net_node("c")));
  drain();
  CHECK(view()->nodes().at("c")->attachments_size() == 1);
  CHECK(check_unique() == 1 + 2 + 3 * 2 + 2); // + pub's VIP
}
