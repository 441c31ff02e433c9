#include "actors/control/node_rules.hpp"

#include <catch2/catch.hpp>

#include <map>

#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_manager;
using actorswarm::test::make_node;
using actorswarm::test::now_ns;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

namespace {

pb::Node named(const std::string& id, const std::string& hostname) {
  auto n = make_node(id);
  n.mutable_description()->set_hostname(hostname);
  return n;
}

// Raft status of a three-manager group (raft ids 1, 2, 3) seen from `self`.
raft::raft_status group(uint64_t self, uint64_t lead,
                        std::vector<uint64_t> reachable) {
  raft::raft_status st;
  st.raft_id = self;
  st.lead = lead;
  st.is_leader = self == lead;
  for (uint64_t id : {1, 2, 3}) {
    auto* m = st.members.add_voters();
    m->set_raft_id(id);
    m->set_node_id("m" + std::to_string(id));
  }
  st.reachable = std::move(reachable);
  return st;
}

// `node ls` of managers m1..m3 (raft ids 1..3) and m4 (raft id 4, not a
// voter), each stored as REACHABLE but m3, stored as UNREACHABLE.
pb::ControlReply managers() {
  view_builder b;
  for (uint64_t i = 1; i <= 4; ++i)
    b.add(make_manager("m" + std::to_string(i), i));
  auto r = list_nodes(b.view());
  for (auto& n : *r.mutable_nodes())
    if (n.id() == "m3")
      n.mutable_manager_status()->set_reachability(
        pb::ManagerStatus::UNREACHABLE);
  return r;
}

struct shown {
  bool leader;
  pb::ManagerStatus::Reachability reach;
};

std::map<std::string, shown> statuses(const pb::ControlReply& r) {
  std::map<std::string, shown> out;
  for (auto& n : r.nodes())
    out[n.id()] = {n.manager_status().leader(),
                   n.manager_status().reachability()};
  return out;
}

constexpr auto reachable = pb::ManagerStatus::REACHABLE;
constexpr auto unreachable = pb::ManagerStatus::UNREACHABLE;

} // namespace

TEST_CASE("control rules: `self` names this node when it is known", "[unit]") {
  CHECK(resolve_self("self", "n1") == "n1");
  CHECK(resolve_self("self", "") == "self");
  CHECK(resolve_self("n2", "n1") == "n2");
  CHECK(resolve_self("myself", "n1") == "myself");
}

TEST_CASE("control rules: node ls orders by hostname, then id", "[unit]") {
  view_builder b;
  b.add(named("n3", "alpha"));
  b.add(named("n1", "beta"));
  b.add(named("n2", "alpha"));
  auto r = list_nodes(b.view());
  REQUIRE(r.nodes_size() == 3);
  CHECK(r.nodes(0).id() == "n2");
  CHECK(r.nodes(1).id() == "n3");
  CHECK(r.nodes(2).id() == "n1");
}

TEST_CASE("control rules: node references resolve by id, prefix, hostname "
          "and self",
          "[unit]") {
  view_builder b;
  b.add(named("node111", "alpha")).add(named("node222", "beta"));
  CHECK((*find_node(b.view(), "beta"))->id() == "node222");
  CHECK((*find_node(b.view(), "node1"))->id() == "node111");
  CHECK(refusal(find_node(b.view(), "node")).message
        == "node node is ambiguous (2 matches found)");
  CHECK(refusal(find_node(b.view(), "gamma")).message == "No such node: gamma");
  pb::NodeInspectRequest req;
  req.add_refs("self");
  req.add_refs("alpha");
  auto r = inspect_nodes(b.view(), req, "node222");
  REQUIRE(r);
  REQUIRE(r->nodes_size() == 2);
  CHECK(r->nodes(0).id() == "node222");
  CHECK(r->nodes(1).id() == "node111");
  // Without a known id, `self` is just a name.
  CHECK(refusal(inspect_nodes(b.view(), req, "")).code == errc::not_found);
}

TEST_CASE("control rules: node ls shows the live Raft view of managers",
          "[unit]") {
  SECTION("the leader's live view: whom it reaches") {
    auto r = managers();
    overlay_raft_status(r, group(1, 1, {1, 3}));
    auto s = statuses(r);
    CHECK(s["m1"].leader);
    CHECK(s["m1"].reach == reachable);
    CHECK_FALSE(s["m2"].leader);
    CHECK(s["m2"].reach == unreachable);
    CHECK(s["m3"].reach == reachable);
    // Not a voter: out of the group, whatever the store says.
    CHECK(s["m4"].reach == unreachable);
    CHECK_FALSE(s["m4"].leader);
  }
  SECTION("a follower vouches for itself and the leader only") {
    auto r = managers();
    overlay_raft_status(r, group(2, 1, {1, 2}));
    auto s = statuses(r);
    CHECK(s["m1"].leader);
    CHECK(s["m1"].reach == reachable);
    CHECK(s["m2"].reach == reachable);
    // Another follower: the leader's view, as stored.
    CHECK(s["m3"].reach == unreachable);
    CHECK_FALSE(s["m3"].leader);
  }
  SECTION("without a leader nobody else is reachable") {
    auto r = managers();
    overlay_raft_status(r, group(2, 0, {2}));
    auto s = statuses(r);
    CHECK(s["m1"].reach == unreachable);
    CHECK(s["m2"].reach == reachable);
    CHECK(s["m3"].reach == unreachable);
    for (auto& [id, x] : s)
      CHECK_FALSE(x.leader);
  }
  SECTION("workers are left alone") {
    view_builder b;
    b.add(make_node("w1"));
    auto r = list_nodes(b.view());
    overlay_raft_status(r, group(1, 1, {1}));
    CHECK_FALSE(r.nodes(0).has_manager_status());
  }
}

TEST_CASE("control rules: reachable managers, as this manager sees them",
          "[unit]") {
  view_builder b;
  for (uint64_t i = 1; i <= 3; ++i)
    b.add(make_manager("m" + std::to_string(i), i));
  // The leader counts its live connections.
  CHECK(reachable_managers(b.view(), group(1, 1, {1, 2})) == 2);
  // A follower: itself, the leader, and the others as stored (reachable).
  CHECK(reachable_managers(b.view(), group(2, 1, {1, 2})) == 3);
  // No leader: only itself.
  CHECK(reachable_managers(b.view(), group(2, 0, {2})) == 1);
}

TEST_CASE("control rules: node update changes availability and labels",
          "[unit]") {
  view_builder b;
  auto n = make_node("n1");
  (*n.mutable_spec()->mutable_labels())["zone"] = "a";
  b.add(n);
  pb::NodeUpdateRequest req;
  req.set_ref("self");
  req.set_set_availability(true);
  req.set_availability(pb::NodeSpec::DRAIN);
  (*req.mutable_label_add())["rack"] = "r1";
  req.add_label_rm("zone");
  auto d = update_node(b.view(), req, "n1", now_ns);
  REQUIRE(d);
  REQUIRE(d->batch.actions_size() == 1);
  auto& a = d->batch.actions(0);
  CHECK(a.kind() == pb::StoreAction::UPDATE);
  CHECK(d->batch.proposed_at_ns() == now_ns);
  CHECK(a.node().spec().availability() == pb::NodeSpec::DRAIN);
  CHECK(a.node().spec().labels().at("rack") == "r1");
  CHECK(a.node().spec().labels().count("zone") == 0);
  REQUIRE(d->ok.ids_size() == 1);
  CHECK(d->ok.ids(0) == "n1");
  b.apply(d->batch);
}

TEST_CASE("control rules: node update refusals", "[unit]") {
  view_builder b;
  b.add(make_node("n1"));
  pb::NodeUpdateRequest req;
  req.set_ref("n1");
  SECTION("an unset availability is left as it is") {
    auto d = update_node(b.view(), req, "", now_ns);
    REQUIRE(d);
    CHECK(d->batch.actions(0).node().spec().availability()
          == pb::NodeSpec::ACTIVE);
  }
  SECTION("an empty label key") {
    (*req.mutable_label_add())[""] = "x";
    auto d = update_node(b.view(), req, "", now_ns);
    CHECK(refusal(d).code == errc::invalid_spec);
    CHECK(refusal(d).message == "invalid label: empty key");
  }
  SECTION("removing a label the node does not have") {
    req.add_label_rm("zone");
    auto d = update_node(b.view(), req, "", now_ns);
    CHECK(refusal(d).code == errc::invalid_spec);
    CHECK(refusal(d).message == "key zone doesn't exist in node's labels");
  }
  SECTION("an unknown node") {
    req.set_ref("n9");
    CHECK(refusal(update_node(b.view(), req, "", now_ns)).message
          == "No such node: n9");
  }
}
