#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <set>

#include "actors/scheduler/scheduler.hpp"
#include "unit/scheduler/builders.hpp"

namespace pb = actorswarm::pb;
using actorswarm::errc;
using namespace actorswarm::scheduler;
using namespace actorswarm::scheduler::test;

namespace {

pb::Task running_on(const std::string& id, const std::string& node,
                    int64_t nano_cpus, const std::string& service = "web") {
  auto t = make_task(id, service, nano_cpus, 0);
  t.set_node_id(node);
  t.mutable_status()->set_state(pb::RUNNING);
  return t;
}

} // namespace

TEST_CASE("bookkeeping follows task upserts and removals", "[unit]") {
  scheduler s;
  s.upsert_node(make_node("n1"));
  const auto* n = s.find_node("n1");
  REQUIRE(n != nullptr);
  CHECK(n->available_nano_cpus() == 4 * one_cpu);
  auto t = running_on("t1", "n1", one_cpu);
  s.upsert_task(t);
  CHECK(n->available_nano_cpus() == 3 * one_cpu);
  CHECK(n->active_tasks() == 1);
  CHECK(n->active_tasks_of("web") == 1);
  SECTION("upsert is idempotent") {
    s.upsert_task(t);
    CHECK(n->available_nano_cpus() == 3 * one_cpu);
    CHECK(s.active_task_count() == 1);
  }
  SECTION("remove_task frees the reservation") {
    s.remove_task("t1");
    CHECK(n->available_nano_cpus() == 4 * one_cpu);
    CHECK(n->active_tasks_of("web") == 0);
    s.remove_task("t1"); // unknown now: ignored
    CHECK(s.active_task_count() == 0);
  }
  SECTION("a task that stopped or should stop no longer counts") {
    auto done = t;
    done.mutable_status()->set_state(pb::COMPLETE);
    s.upsert_task(done);
    CHECK(n->active_tasks() == 0);
    s.upsert_task(t);
    auto stopping = t;
    stopping.set_desired_state(pb::SHUTDOWN);
    s.upsert_task(stopping);
    CHECK(n->active_tasks() == 0);
  }
  SECTION("a task moving nodes moves its reservation") {
    s.upsert_node(make_node("n2"));
    s.upsert_task(running_on("t1", "n2", one_cpu));
    CHECK(s.find_node("n1")->active_tasks() == 0);
    CHECK(s.find_node("n2")->active_tasks() == 1);
  }
}

TEST_CASE("tasks may arrive before their node", "[unit]") {
  scheduler s;
  s.upsert_task(running_on("t1", "late", 2 * one_cpu));
  CHECK(s.node_count() == 0);
  REQUIRE(s.find_node("late") != nullptr);
  CHECK_FALSE(s.find_node("late")->known());
  s.upsert_node(make_node("late"));
  CHECK(s.node_count() == 1);
  CHECK(s.find_node("late")->available_nano_cpus() == 2 * one_cpu);
  SECTION("removing a node keeps its tasks' counts until they go") {
    s.remove_node("late");
    CHECK(s.node_count() == 0);
    REQUIRE(s.find_node("late") != nullptr);
    s.remove_task("t1");
    CHECK(s.find_node("late") == nullptr);
  }
  SECTION("a placeholder is never a candidate") {
    scheduler t;
    t.upsert_task(running_on("t1", "ghost", 0));
    auto p = make_tasks(1, "p", make_task("", "web"));
    auto ds = t.schedule(ptrs(p), pb::Placement::SPREAD);
    CHECK(ds[0].node_id.empty());
    CHECK(ds[0].explanation == "no suitable node");
  }
}

TEST_CASE("explanations follow SwarmKit's wording", "[unit]") {
  SECTION("one node too small") {
    scheduler s;
    s.upsert_node(make_node("n1"));
    auto p = make_tasks(1, "p", make_task("", "web", 10 * one_cpu, 0));
    auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD);
    CHECK(ds[0].node_id.empty());
    CHECK(ds[0].explanation
          == "no suitable node (insufficient resources on 1 node)");
  }
  SECTION("constraints and resources") {
    scheduler s;
    for (auto id : {"w1", "w2", "w3"})
      s.upsert_node(make_node(id, {{"zone", "west"}}));
    auto small = make_node("e1", {{"zone", "east"}});
    small.mutable_description()->mutable_resources()->set_nano_cpus(one_cpu);
    s.upsert_node(small);
    auto like = make_task("", "web", 2 * one_cpu, 0);
    like.mutable_spec()->mutable_placement()->add_constraints(
      "node.labels.zone==east");
    auto p = make_tasks(2, "p", like);
    auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD);
    for (const auto& d : ds)
      CHECK(d.explanation
            == "no suitable node (scheduling constraints not satisfied on 3 "
               "nodes; insufficient resources on 1 node)");
  }
  SECTION("nodes not available") {
    scheduler s;
    auto drained = make_node("d1");
    drained.mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
    s.upsert_node(drained);
    auto down = make_node("d2");
    down.mutable_status()->set_state(pb::NodeStatus::DOWN);
    s.upsert_node(down);
    auto p = make_tasks(1, "p", make_task("", "web"));
    auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD);
    CHECK(ds[0].explanation
          == "no suitable node (2 nodes not available for new tasks)");
  }
  SECTION("some tasks fit, the rest explain why not") {
    scheduler s;
    for (auto id : {"a", "b"})
      s.upsert_node(make_node(id));
    auto p = make_tasks(9, "p", make_task("", "web", 2 * one_cpu, 0));
    auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD);
    size_t placed = 0;
    for (const auto& d : ds) {
      if (!d.node_id.empty()) {
        ++placed;
        CHECK(d.explanation.empty());
      } else {
        CHECK(d.explanation
              == "no suitable node (insufficient resources on 2 nodes)");
      }
    }
    CHECK(placed == 4);
  }
  SECTION("no nodes at all") {
    scheduler s;
    auto p = make_tasks(1, "p", make_task("", "web"));
    CHECK(s.schedule(ptrs(p), pb::Placement::SPREAD)[0].explanation
          == "no suitable node");
  }
}

TEST_CASE("schedule groups tasks by service and spec", "[unit]") {
  scheduler s;
  for (auto id : {"a", "b", "c"})
    s.upsert_node(make_node(id));
  std::vector<pb::Task> p;
  for (int i = 0; i < 3; ++i) {
    p.push_back(make_task("web-" + std::to_string(i), "web"));
    p.push_back(make_task("db-" + std::to_string(i), "db"));
  }
  auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD);
  REQUIRE(ds.size() == 6);
  std::map<std::string, std::set<std::string>> nodes_of;
  for (size_t i = 0; i < ds.size(); ++i) {
    CHECK(ds[i].task_id == p[i].id());
    nodes_of[p[i].service_id()].insert(ds[i].node_id);
  }
  // Each service lands once on each node.
  CHECK(nodes_of["web"] == std::set<std::string>{"a", "b", "c"});
  CHECK(nodes_of["db"] == std::set<std::string>{"a", "b", "c"});
  SECTION("tasks without spec_version group by placement and reservations") {
    scheduler t;
    t.upsert_node(make_node("a", {{"zone", "east"}}));
    t.upsert_node(make_node("b", {{"zone", "west"}}));
    auto east = make_task("t1", "svc");
    east.set_spec_version(0);
    east.mutable_spec()->mutable_placement()->add_constraints(
      "node.labels.zone==east");
    auto west = east;
    west.set_id("t2");
    west.mutable_spec()->mutable_placement()->set_constraints(
      0, "node.labels.zone==west");
    auto got = t.schedule({&east, &west}, pb::Placement::SPREAD);
    CHECK(got[0].node_id == "a");
    CHECK(got[1].node_id == "b");
  }
}

TEST_CASE("preassigned tasks are only checked on their node", "[unit]") {
  scheduler s;
  s.upsert_node(make_node("a"));
  auto drained = make_node("d");
  drained.mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
  s.upsert_node(drained);
  auto ok = make_task("g1", "global", one_cpu, 0);
  ok.set_node_id("a");
  auto refused = make_task("g2", "global", one_cpu, 0);
  refused.set_node_id("d");
  auto unknown = make_task("g3", "global");
  unknown.set_node_id("nowhere");
  // A pending global task already counted through upsert_task must not
  // count against itself.
  s.upsert_task(ok);
  auto ds = s.schedule({&ok, &refused, &unknown}, pb::Placement::SPREAD);
  CHECK(ds[0].node_id == "a");
  CHECK(s.find_node("a")->active_tasks() == 1);
  CHECK(ds[1].node_id.empty());
  CHECK(ds[1].explanation == "1 node not available for new tasks");
  CHECK(ds[2].node_id.empty());
  CHECK(ds[2].explanation == "node nowhere not found");
}

TEST_CASE("schedule counts its placements immediately", "[unit]") {
  scheduler s;
  s.upsert_node(make_node("a"));
  auto p = make_tasks(3, "p", make_task("", "web", one_cpu, one_gib));
  auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD);
  const auto* a = s.find_node("a");
  CHECK(a->active_tasks() == 3);
  CHECK(a->available_nano_cpus() == one_cpu);
  CHECK(a->available_memory_bytes() == 5 * one_gib);
  // The store's echo of the assignment changes nothing.
  for (size_t i = 0; i < p.size(); ++i) {
    auto assigned = p[i];
    assigned.set_node_id(ds[i].node_id);
    assigned.mutable_status()->set_state(pb::ASSIGNED);
    s.upsert_task(assigned);
  }
  CHECK(a->active_tasks() == 3);
  CHECK(s.active_task_count() == 3);
}

TEST_CASE("a task listed twice in a batch counts once", "[unit]") {
  scheduler s;
  for (auto id : {"a", "b"})
    s.upsert_node(make_node(id));
  auto t = make_task("t1", "web", one_cpu, 0);
  auto ds = s.schedule({&t, &t}, pb::Placement::SPREAD);
  REQUIRE(ds.size() == 2);
  CHECK(s.active_task_count() == 1);
  CHECK(s.find_node("a")->active_tasks() + s.find_node("b")->active_tasks()
        == 1);
  CHECK_FALSE(ds[0].node_id.empty());
  CHECK_FALSE(ds[1].node_id.empty());
}

TEST_CASE("spread stays even at scale with constraints", "[unit]") {
  scheduler s;
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back("node-" + std::to_string(i));
    s.upsert_node(make_node(ids.back(),
                            {{"zone", "zone-" + std::to_string(i % 3)}}));
  }
  auto like = make_task("", "web", one_cpu / 10, 64LL << 20);
  like.mutable_spec()->mutable_placement()->add_constraints(
    "node.labels.zone!=zone-2");
  auto ts = make_tasks(10000, "t", like);
  auto ds = s.schedule(ptrs(ts), pb::Placement::SPREAD);
  uint32_t lo = UINT32_MAX;
  uint32_t hi = 0;
  for (int i = 0; i < 1000; ++i) {
    auto n = s.find_node(ids[i])->active_tasks();
    if (i % 3 == 2) {
      CHECK(n == 0);
      continue;
    }
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  CHECK(hi - lo <= 1);
  CHECK(s.active_task_count() == 10000);
}

TEST_CASE("nodes that keep failing a service go last", "[unit]") {
  constexpr int64_t second_ns = 1'000'000'000;
  const int64_t t0 = 1'700'000'000 * second_ns;
  scheduler s;
  for (auto id : {"a", "b"})
    s.upsert_node(make_node(id));
  // Five tasks of web fail on a within a minute.
  for (int i = 0; i < 5; ++i) {
    auto t = running_on("f" + std::to_string(i), "a", 0);
    s.upsert_task(t);
    t.mutable_status()->set_state(i % 2 == 0 ? pb::FAILED : pb::REJECTED);
    t.mutable_status()->set_timestamp_ns(t0 + i * second_ns);
    s.upsert_task(t);
    s.upsert_task(t); // the echo does not count twice
  }
  CHECK(s.find_node("a")->recent_failures(failure_key(running_on("x", "a", 0)),
                                          t0 + 10 * second_ns,
                                          scheduler_config{}.failure_window_ns)
        == 5);
  // b already runs two web tasks, so plain spread would pick a.
  s.upsert_task(running_on("r1", "b", 0));
  s.upsert_task(running_on("r2", "b", 0));
  auto p = make_tasks(1, "p", make_task("", "web"));
  SECTION("within the window a goes last") {
    auto ds = s.schedule(ptrs(p), pb::Placement::SPREAD, t0 + 60 * second_ns);
    CHECK(ds[0].node_id == "b");
  }
  SECTION("without a clock failures are ignored") {
    CHECK(s.schedule(ptrs(p), pb::Placement::SPREAD)[0].node_id == "a");
  }
  SECTION("after the window a is back to normal") {
    auto later = t0 + 6 * 60 * second_ns;
    CHECK(s.schedule(ptrs(p), pb::Placement::SPREAD, later)[0].node_id == "a");
  }
  SECTION("another service is not affected") {
    auto other = make_tasks(1, "o", make_task("", "db"));
    auto ds = s.schedule(ptrs(other), pb::Placement::SPREAD,
                         t0 + 60 * second_ns);
    CHECK(ds[0].node_id == "a"); // a has fewer tasks overall
  }
}

TEST_CASE("scheduler_config validates its ranges", "[unit]") {
  scheduler_config cfg;
  CHECK(cfg.validate().ok());
  cfg.failure_window_ns = 0;
  CHECK_FALSE(cfg.validate().ok());
  cfg = scheduler_config{};
  cfg.max_failures = 5000;
  CHECK(cfg.validate().error().code == errc::invalid_spec);
}
