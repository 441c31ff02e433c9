// Every node's address on the ingress network (its ingress sandbox's):
// network_allocator's node calls, then the allocator core over a store.

#include <set>

#include <catch2/catch.hpp>

#include "actors/allocator/allocator_core.hpp"
#include "unit/allocator/net_builders.hpp"

using namespace actorswarm;
using namespace actorswarm::allocator;
using namespace actorswarm::allocator::test;

namespace {

// A network_allocator holding ingress "ing" (10.0.0.0/24).
network_allocator with_ingress(const std::string& id = "ing",
                               const std::string& subnet = "10.0.0.0/24") {
  network_allocator a{*ipam::make({})};
  REQUIRE(a.allocate_network(make_network(id, subnet, true)));
  return a;
}

// The one ingress address of `n`, "" when it has none (or more).
std::string address_of_node(const pb::Node& n) {
  if (n.attachments_size() != 1 || n.attachments(0).addresses_size() != 1)
    return "";
  return n.attachments(0).addresses(0);
}

// A loop holding ingress (10.0.0.0/24) and network "n1".
struct node_loop : leader_loop {
  explicit node_loop(const std::string& ingress_subnet = "10.0.0.0/24") {
    create(make_network("ing", ingress_subnet, true));
    create(make_network("n1"));
    settle();
  }

  // Every address on any network held by live tasks, VIPs and nodes; no
  // address twice. Returns how many.
  size_t check_unique() {
    std::set<std::string> seen;
    size_t n = 0;
    auto add = [&](const std::string& net, const std::string& a) {
      seen.insert(net + " " + a);
      ++n;
    };
    for (auto& [id, t] : db.tasks())
      if (!task_dead(*t))
        for (auto& att : t->networks())
          for (auto& a : att.addresses())
            add(att.network_id(), a);
    for (auto& [id, s] : db.services())
      for (auto& v : s->endpoint().virtual_ips())
        add(v.network_id(), v.addr());
    for (auto& [id, x] : db.nodes())
      for (auto& att : x->attachments())
        for (auto& a : att.addresses())
          add(att.network_id(), a);
    CHECK(seen.size() == n);
    return n;
  }

  // Creates `svc` (publishing in ingress mode) and `count` NEW tasks.
  void run_service(const pb::Service& svc, int count) {
    create(svc);
    for (int i = 1; i <= count; ++i)
      create(make_new_task(svc.id() + "-t" + std::to_string(i), svc,
                           static_cast<uint64_t>(i)));
    settle();
  }
};

bool only_nodes(const pb::StoreBatch& b) {
  for (auto& a : b.actions())
    if (!a.has_node())
      return false;
  return true;
}

bool no_nodes(const pb::StoreBatch& b) {
  for (auto& a : b.actions())
    if (a.has_node())
      return false;
  return true;
}

} // namespace

// -- network_allocator ------------------------------------------------------

TEST_CASE("network allocator: a node gets one ingress address, the same "
          "when asked again",
          "[unit]") {
  auto a = with_ingress();
  auto n = make_net_node("a");
  auto r = a.allocate_node(n);
  REQUIRE(r);
  REQUIRE(r->attachments_size() == 1);
  CHECK(r->attachments(0).network_id() == "ing");
  CHECK(address_of_node(*r) == "10.0.0.2/24");
  CHECK(r->attachments(0).aliases_size() == 0);
  CHECK(r->description().hostname() == "host-a"); // the rest as given
  CHECK(a.node_allocated(*r));
  CHECK_FALSE(a.node_allocated(n));
  // Again, from the object without or with its attachment: the same.
  CHECK(address_of_node(*a.allocate_node(n)) == "10.0.0.2/24");
  CHECK(address_of_node(*a.allocate_node(*r)) == "10.0.0.2/24");
  CHECK(address_of_node(*a.allocate_node(make_net_node("b"))) == "10.0.0.3/24");
  CHECK(a.node_count() == 2);
  CHECK(a.addresses().free_addresses("ing") == 253 - 2);
  CHECK(a.release_node("a"));
  CHECK_FALSE(a.release_node("a"));
  CHECK_FALSE(a.addresses().address_in_use("ing", 0x0a000002));
  CHECK(a.addresses().address_in_use("ing", 0x0a000003));
}

TEST_CASE("network allocator: without an ingress network a node gets "
          "not_found and holds nothing",
          "[unit]") {
  network_allocator a{*ipam::make({})};
  REQUIRE(a.allocate_network(make_network("n1")));
  auto r = a.allocate_node(make_net_node("a"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::not_found);
  CHECK(r.error().message == "no ingress network is allocated");
  CHECK(a.node_count() == 0);
  CHECK_FALSE(a.node_allocated(make_net_node("a")));
}

TEST_CASE("network allocator: removing ingress drops the nodes' holds once, "
          "a new ingress replaces their stale attachment",
          "[unit]") {
  auto a = with_ingress();
  auto old = *a.allocate_node(make_net_node("a"));
  CHECK(a.release_network("ing"));
  CHECK(a.node_count() == 0);
  CHECK_FALSE(a.release_node("a")); // nothing left to give back twice
  CHECK(a.ingress_id().empty());
  CHECK_FALSE(a.allocate_node(old));
  // A new ingress over the same subnet: node b takes .2 first; a's stale
  // attachment (on "ing") is replaced by one on "ing2".
  REQUIRE(a.allocate_network(make_network("ing2", "10.0.0.0/24", true)));
  CHECK(address_of_node(*a.allocate_node(make_net_node("b"))) == "10.0.0.2/24");
  CHECK_FALSE(a.node_allocated(old));
  auto r = a.allocate_node(old);
  REQUIRE(r);
  REQUIRE(r->attachments_size() == 1);
  CHECK(r->attachments(0).network_id() == "ing2");
  CHECK(address_of_node(*r) == "10.0.0.3/24");
  CHECK(a.addresses().free_addresses("ing2") == 253 - 2);
}

TEST_CASE("network allocator: restore_node takes a node's address, skips a "
          "stale network and reports a taken one",
          "[unit]") {
  auto a = with_ingress();
  auto n = make_net_node("a");
  auto& att = *n.add_attachments();
  att.set_network_id("ing");
  att.add_addresses("10.0.0.7/24");
  CHECK(a.restore_node(n).empty());
  CHECK(a.node_allocated(n));
  CHECK(address_of_node(*a.allocate_node(n)) == "10.0.0.7/24");
  // Its twin claims the same address: a conflict line, nothing held.
  auto twin = n;
  twin.set_id("b");
  auto lines = a.restore_node(twin);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]
        == "node b: address 10.0.0.7/24 on network ing: Address already in "
           "use: 10.0.0.7");
  CHECK_FALSE(a.node_held("b"));
  // An attachment on a network that is gone: skipped without a word.
  auto stale = make_net_node("c");
  stale.add_attachments()->set_network_id("gone");
  stale.mutable_attachments(0)->add_addresses("10.0.0.9/24");
  CHECK(a.restore_node(stale).empty());
  CHECK_FALSE(a.node_held("c"));
}

// -- allocator core ---------------------------------------------------------

TEST_CASE("allocator core: every node gets an ingress address, whatever its "
          "role or state, then nothing more is proposed",
          "[unit]") {
  node_loop l;
  l.create(make_net_node("m1", pb::NodeSpec::MANAGER));
  auto down = make_net_node("w1");
  down.mutable_status()->set_state(pb::NodeStatus::DOWN);
  l.create(down);
  l.settle();
  std::set<std::string> addrs;
  for (auto id : {"m1", "w1"}) {
    auto n = l.node(id);
    REQUIRE(n.attachments_size() == 1);
    CHECK(n.attachments(0).network_id() == "ing");
    addrs.insert(address_of_node(n));
  }
  CHECK(addrs == std::set<std::string>{"10.0.0.2/24", "10.0.0.3/24"});
  CHECK(l.node("w1").status().state() == pb::NodeStatus::DOWN);
  CHECK(l.node("m1").role() == pb::NodeSpec::MANAGER);
  CHECK(l.settle() == 0);
  // The dispatcher's status updates keep the attachment and cause nothing.
  auto had = address_of_node(l.node("w1"));
  REQUIRE(l.apply(node_status(l.node("w1"), pb::NodeStatus::READY)) == 0);
  CHECK(l.settle() == 0);
  CHECK(address_of_node(l.node("w1")) == had);
  CHECK(l.core.take_warnings().empty());
}

TEST_CASE("allocator core: nodes that exist before ingress get addresses "
          "once it is allocated",
          "[unit]") {
  leader_loop l;
  l.create(make_net_node("a"));
  l.create(make_net_node("b"));
  CHECK(l.settle() == 0); // no ingress: nothing to do
  CHECK(l.node("a").attachments_size() == 0);
  l.create(make_network("ing", "10.0.0.0/24", true));
  l.settle();
  CHECK(address_of_node(l.node("a")) == "10.0.0.2/24");
  CHECK(address_of_node(l.node("b")) == "10.0.0.3/24");
  CHECK(l.core.take_warnings().empty());
}

TEST_CASE("allocator core: node updates go in batches of their own, never "
          "with networks, services or tasks",
          "[unit]") {
  node_loop l;
  auto svc = make_net_service("web", {"n1"}, {make_port(80, 0)});
  l.create(svc);
  for (int i = 1; i <= 3; ++i) {
    l.create(make_new_task("t" + std::to_string(i), svc, i));
    l.create(make_net_node("node" + std::to_string(i)));
  }
  l.create(make_network("n2"));
  size_t node_batches = 0, other_batches = 0;
  for (int i = 0; i < 20; ++i) {
    auto b = l.core.next_batch(0);
    if (!b)
      break;
    INFO(b->ShortDebugString());
    CHECK((only_nodes(*b) || no_nodes(*b)));
    ++(only_nodes(*b) ? node_batches : other_batches);
    CHECK(l.apply(*b) == 0);
  }
  CHECK(node_batches == 1);
  CHECK(other_batches == 1);
  CHECK_FALSE(l.core.next_batch(0));
  for (int i = 1; i <= 3; ++i) {
    CHECK(l.task("t" + std::to_string(i)).status().state() == pb::PENDING);
    CHECK(l.node("node" + std::to_string(i)).attachments_size() == 1);
  }
  // VIPs on n1 and ingress, 3 tasks on both, 3 nodes.
  CHECK(l.check_unique() == 2 + 3 * 2 + 3);
}

TEST_CASE("allocator core: a node update made stale by the dispatcher is "
          "proposed again with the newest object, the same address",
          "[unit]") {
  node_loop l;
  l.create(make_net_node("a"));
  auto b = l.core.next_batch(0);
  REQUIRE(b);
  REQUIRE(b->actions_size() == 1);
  auto want = address_of_node(b->actions(0).node());
  CHECK(want == "10.0.0.2/24");
  // The dispatcher marks the node down first: the allocator's full update
  // is stale and refused.
  REQUIRE(l.apply(node_status(l.node("a"), pb::NodeStatus::DOWN)) == 0);
  CHECK(l.apply(*b) == 1);
  CHECK(l.node("a").attachments_size() == 0);
  CHECK(l.settle() == 1);
  auto n = l.node("a");
  CHECK(address_of_node(n) == want);
  CHECK(n.status().state() == pb::NodeStatus::DOWN); // the dispatcher's kept
  CHECK(l.core.state().addresses().free_addresses("ing") == 253 - 1);
}

TEST_CASE("allocator core: a node update that gets no answer is not "
          "proposed in a loop, and goes again once the node changes",
          "[unit]") {
  node_loop l;
  l.create(make_net_node("a"));
  auto lost = l.core.next_batch(0);
  REQUIRE(lost);
  // The proposal is lost (never applied): no change arrives.
  CHECK_FALSE(l.core.next_batch(0));
  REQUIRE(l.apply(node_status(l.node("a"), pb::NodeStatus::READY)) == 0);
  CHECK(l.settle() == 1);
  CHECK(address_of_node(l.node("a"))
        == address_of_node(lost->actions(0).node()));
}

TEST_CASE("allocator core: a removed node's address goes back", "[unit]") {
  node_loop l;
  l.create(make_net_node("a"));
  l.create(make_net_node("b"));
  l.settle();
  auto& ip = l.core.state().addresses();
  CHECK(ip.free_addresses("ing") == 253 - 2);
  l.remove(l.node("a"));
  CHECK(ip.free_addresses("ing") == 253 - 1);
  CHECK_FALSE(ip.address_in_use("ing", 0x0a000002));
  CHECK(l.core.state().node_count() == 1);
  CHECK(l.settle() == 0);
}

TEST_CASE("allocator core: ingress removed and created again: nodes keep "
          "their stale attachment until the new one is allocated",
          "[unit]") {
  node_loop l;
  l.create(make_net_node("a"));
  l.create(make_net_node("b"));
  l.settle();
  l.remove(l.network("ing"));
  CHECK(l.settle() == 0);
  CHECK(l.core.state().node_count() == 0);
  CHECK(l.node("a").attachments(0).network_id() == "ing"); // stale
  l.create(make_network("ing2", "10.0.0.0/24", true));
  l.settle();
  std::set<std::string> addrs;
  for (auto id : {"a", "b"}) {
    auto n = l.node(id);
    REQUIRE(n.attachments_size() == 1);
    CHECK(n.attachments(0).network_id() == "ing2");
    addrs.insert(address_of_node(n));
  }
  CHECK(addrs.size() == 2);
  CHECK(l.core.state().addresses().free_addresses("ing2") == 253 - 2);
  CHECK(l.settle() == 0);
  CHECK(l.core.take_warnings().empty());
}

TEST_CASE("allocator core: a new leader restores nodes' addresses: nothing "
          "handed out twice across tasks and nodes",
          "[unit]") {
  node_loop l;
  for (int i = 1; i <= 3; ++i)
    l.create(make_net_node("node" + std::to_string(i)));
  l.run_service(make_net_service("web", {}, {make_port(80, 0)}), 5);
  // A node whose allocation the old leader proposed, committed only after
  // the new leader restored.
  l.create(make_net_node("late"));
  auto late = l.core.next_batch(0);
  REQUIRE(late);
  REQUIRE(only_nodes(*late));
  allocator_core fresh;
  CHECK(fresh.restore(l.db).empty());
  CHECK(fresh.state().node_count() == 3);
  auto& ip = fresh.state().addresses();
  CHECK(ip.free_addresses("ing") == 253 - 1 - 5 - 3);
  l.core = std::move(fresh);
  CHECK(l.apply(*late) == 0);
  CHECK(l.settle() == 0); // late's address taken over, not handed out again
  CHECK(l.core.state().node_count() == 4);
  CHECK(l.core.take_warnings().empty());
  // New work on the new leader: nothing twice.
  l.create(make_net_node("node4"));
  l.run_service(make_net_service("api", {"n1"}, {make_port(81, 0)}), 5);
  CHECK(l.node("node4").attachments_size() == 1);
  CHECK(l.check_unique() == 1 + 5 + 5 + 2 + 5 * 2);
}

TEST_CASE("allocator core: a full ingress leaves a node without an address "
          "with one warning, tasks fail with the reason, both go on once "
          "addresses free up",
          "[unit]") {
  node_loop l{"10.0.0.0/29"}; // .2-.6: five addresses
  for (int i = 1; i <= 6; ++i)
    l.create(make_net_node("node" + std::to_string(i)));
  l.settle();
  CHECK(l.core.blocked_node_count() == 1);
  std::string waiting;
  for (int i = 1; i <= 6; ++i)
    if (l.node("node" + std::to_string(i)).attachments_size() == 0)
      waiting = "node" + std::to_string(i);
  REQUIRE_FALSE(waiting.empty());
  auto w = l.core.take_warnings();
  REQUIRE(w.size() == 1);
  CHECK(w[0]
        == "node host-" + waiting + " (" + waiting
             + "): ingress network ing: no available addresses on this pool");
  CHECK(l.settle() == 0);
  // Still full: a service publishing in ingress mode cannot have its VIP;
  // its task stays NEW with the reason.
  auto svc = make_net_service("web", {}, {make_port(80, 8080)});
  l.run_service(svc, 1);
  auto t = l.task("web-t1");
  CHECK(t.status().state() == pb::NEW);
  CHECK(t.status().err()
        == "network allocation failed: service svc-web: network ing: no "
           "available addresses on this pool");
  // A node status update does not warn again.
  REQUIRE(l.apply(node_status(l.node(waiting), pb::NodeStatus::DOWN)) == 0);
  l.settle();
  l.core.take_warnings();
  REQUIRE(l.apply(node_status(l.node(waiting), pb::NodeStatus::READY)) == 0);
  l.settle();
  CHECK(l.core.take_warnings().empty());
  // Three nodes leave: the waiting node, the VIP and the task fit.
  int removed = 0;
  for (int i = 1; i <= 6 && removed < 3; ++i) {
    auto id = "node" + std::to_string(i);
    if (id != waiting) {
      l.remove(l.node(id));
      ++removed;
    }
  }
  l.settle();
  CHECK(l.node(waiting).attachments_size() == 1);
  CHECK(l.core.blocked_node_count() == 0);
  CHECK(l.task("web-t1").status().state() == pb::PENDING);
  CHECK(l.core.state().addresses().free_addresses("ing") == 0);
  CHECK(l.check_unique() == 3 + 1 + 1);
}

TEST_CASE("allocator core: nodes get their ingress address once a port is "
          "published in ingress mode, not before",
          "[unit]") {
  leader_loop l;
  l.core = allocator_core{}; // as the leader runs it: no allocate_nodes_always
  l.conflicts = l.core.restore(l.db);
  l.create(make_network("ing", "10.0.0.0/24", true));
  l.create(make_net_node("a"));
  l.settle();
  CHECK(l.db.nodes().at("a")->attachments_size() == 0);
  l.create(make_net_service("pub", {}, {make_port(80, 8080)}));
  l.settle();
  REQUIRE(l.db.nodes().at("a")->attachments_size() == 1);
  CHECK(l.db.nodes().at("a")->attachments(0).network_id() == "ing");
}
