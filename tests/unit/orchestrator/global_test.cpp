#include "actors/orchestrator/global.hpp"

#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

struct global_fixture {
  pb::Service svc = make_service("g1", 0, pb::ServiceSpec::GLOBAL);
  std::vector<pb::Task> tasks;
  node_map nodes;
  node_predicate eligible;
  restart_tracker restarts;
  std::mt19937_64 gen{11};

  global_fixture() {
    for (auto id : {"n1", "n2", "n3"})
      add_node(nodes, make_node(id));
  }

  reconcile_result pass(int64_t now_ns) {
    auto r = reconcile_global(svc, tasks, nodes, eligible, restarts, now_ns,
                              gen);
    apply_actions(tasks, r.actions);
    settle(tasks, "", now_ns);
    return r;
  }

  std::map<std::string, int> per_node() {
    return runnable_per_instance(tasks);
  }

  const pb::Task& on(const std::string& node) {
    for (const auto& t : tasks)
      if (t.node_id() == node && is_runnable(t))
        return t;
    FAIL("no runnable task on " << node);
    return tasks.front();
  }
};

const std::map<std::string, int> all3
  = {{"node:n1", 1}, {"node:n2", 1}, {"node:n3", 1}};

} // namespace

TEST_CASE_METHOD(global_fixture, "global: one task per eligible node",
                 "[unit]") {
  auto r = pass(t0_ns);
  CHECK(count_kind(r.actions, pb::StoreAction::CREATE) == 3);
  CHECK(per_node() == all3);
  for (const auto& t : tasks)
    CHECK(t.slot() == 0);
  CHECK(pass(t0_ns).actions.empty());
  SECTION("a new node gets a task") {
    add_node(nodes, make_node("n4"));
    auto r2 = pass(t0_ns);
    REQUIRE(r2.actions.size() == 1);
    CHECK(r2.actions[0].task().node_id() == "n4");
  }
  SECTION("a drained node's task is shut down") {
    nodes["n2"].mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
    auto r2 = pass(t0_ns);
    REQUIRE(r2.actions.size() == 1);
    CHECK(r2.actions[0].task().node_id() == "n2");
    CHECK(r2.actions[0].task().desired_state() == pb::SHUTDOWN);
    CHECK(per_node().count("node:n2") == 0);
  }
  SECTION("a node that became ineligible loses its task") {
    eligible = [](const pb::Node& n) { return n.id() != "n3"; };
    auto r2 = pass(t0_ns);
    REQUIRE(r2.actions.size() == 1);
    CHECK(r2.actions[0].task().desired_state() == pb::SHUTDOWN);
    CHECK(per_node().count("node:n3") == 0);
  }
  SECTION("a removed node's task is orphaned") {
    auto id = on("n1").id();
    nodes.erase("n1");
    auto r2 = pass(t0_ns + sec_ns);
    REQUIRE(r2.actions.size() == 1);
    CHECK(r2.actions[0].task().id() == id);
    CHECK(r2.actions[0].task().status().state() == pb::ORPHANED);
    CHECK(r2.actions[0].task().desired_state() == pb::SHUTDOWN);
  }
  SECTION("paused, down and unreachable nodes keep their task") {
    nodes["n1"].mutable_spec()->set_availability(pb::NodeSpec::PAUSE);
    nodes["n2"].mutable_status()->set_state(pb::NodeStatus::DOWN);
    nodes["n3"].mutable_status()->set_state(pb::NodeStatus::DISCONNECTED);
    // Even when the predicate also rejects paused nodes.
    eligible = [](const pb::Node& n) {
      return n.spec().availability() == pb::NodeSpec::ACTIVE;
    };
    CHECK(pass(t0_ns).actions.empty());
    CHECK(per_node() == all3);
  }
}

TEST_CASE_METHOD(global_fixture,
                 "global: paused and not-ready nodes get no new task",
                 "[unit]") {
  nodes["n1"].mutable_spec()->set_availability(pb::NodeSpec::PAUSE);
  nodes["n2"].mutable_status()->set_state(pb::NodeStatus::UNKNOWN);
  pass(t0_ns);
  CHECK(per_node() == std::map<std::string, int>{{"node:n3", 1}});
}

TEST_CASE_METHOD(global_fixture,
                 "global: a dead task restarts on its node under the policy",
                 "[unit]") {
  svc.mutable_spec()->mutable_task()->mutable_restart()->set_delay_ns(5
                                                                      * sec_ns);
  pass(t0_ns);
  for (auto& t : tasks)
    if (t.node_id() == "n2") {
      t.mutable_status()->set_state(pb::FAILED);
      t.mutable_status()->set_timestamp_ns(t0_ns + sec_ns);
    }
  auto r = pass(t0_ns + 2 * sec_ns);
  CHECK(r.actions.empty());
  REQUIRE(r.next_wakeup_ns);
  CHECK(*r.next_wakeup_ns == t0_ns + 6 * sec_ns);
  auto r2 = pass(t0_ns + 6 * sec_ns);
  REQUIRE(r2.actions.size() == 2);
  CHECK(r2.actions[1].task().node_id() == "n2");
  CHECK(per_node() == all3);
  CHECK(restarts.find(restart_key{"g1", 0, "n2"}) != nullptr);
}

TEST_CASE_METHOD(global_fixture,
                 "global: duplicates on one node are reduced to one",
                 "[unit]") {
  tasks.push_back(make_task(svc, 0, "n1", pb::RUNNING));
  tasks.push_back(make_task(svc, 0, "n1", pb::RUNNING, pb::RUNNING,
                            t0_ns + sec_ns));
  auto r = pass(t0_ns);
  CHECK(count_kind(r.actions, pb::StoreAction::UPDATE) == 1);
  CHECK(per_node() == all3);
}
