#include <catch2/catch.hpp>

#include <map>

#include "actors/scheduler/scheduler.hpp"
#include "unit/scheduler/builders.hpp"

namespace pb = actorswarm::pb;
using actorswarm::errc;
using namespace actorswarm::scheduler;
using namespace actorswarm::scheduler::test;

namespace {

// Tasks per node id over the decisions; unscheduled ones under "".
std::map<std::string, int> per_node(const std::vector<decision>& ds) {
  std::map<std::string, int> out;
  for (const auto& d : ds)
    ++out[d.node_id];
  return out;
}

} // namespace

TEST_CASE("even_split fills the emptiest branches first", "[unit]") {
  using v = std::vector<uint64_t>;
  CHECK(even_split(v{0, 0, 0}, 7) == v{3, 2, 2});
  CHECK(even_split(v{2, 0}, 4) == v{1, 3});
  CHECK(even_split(v{5, 0, 1}, 3) == v{0, 2, 1});
  CHECK(even_split(v{5, 0, 1}, 0) == v{0, 0, 0});
  CHECK(even_split(v{10, 0}, 3) == v{0, 3});
  CHECK(even_split(v{}, 3).empty());
  CHECK(even_split(v{4}, 3) == v{3});
}

TEST_CASE("spread balances tasks of a service over nodes", "[unit]") {
  scheduler s;
  for (auto id : {"a", "b", "c"})
    s.upsert_node(make_node(id));
  auto tasks = make_tasks(7, "t", make_task("", "web"));
  auto ds = s.schedule(ptrs(tasks), pb::Placement::DEFAULT);
  REQUIRE(ds.size() == 7);
  CHECK(per_node(ds)
        == std::map<std::string, int>{{"a", 3}, {"b", 2}, {"c", 2}});
  for (size_t i = 0; i < ds.size(); ++i)
    CHECK(ds[i].task_id == tasks[i].id()); // input order
  SECTION("a later batch sees the earlier placements") {
    auto more = make_tasks(2, "u", make_task("", "web"));
    auto ds2 = s.schedule(ptrs(more), pb::Placement::SPREAD);
    CHECK(per_node(ds2) == std::map<std::string, int>{{"b", 1}, {"c", 1}});
  }
}

TEST_CASE("spread prefers nodes with fewer tasks overall on ties", "[unit]") {
  scheduler s;
  for (auto id : {"a", "b", "c"})
    s.upsert_node(make_node(id));
  auto busy = make_task("x1", "other");
  busy.set_node_id("a");
  s.upsert_task(busy);
  busy.set_id("x2");
  busy.set_node_id("b");
  s.upsert_task(busy);
  auto tasks = make_tasks(1, "t", make_task("", "web"));
  auto ds = s.schedule(ptrs(tasks), pb::Placement::SPREAD);
  CHECK(ds[0].node_id == "c");
}

TEST_CASE("spread preferences split tasks evenly per label value", "[unit]") {
  scheduler s;
  for (auto id : {"e1", "e2", "e3", "e4"})
    s.upsert_node(make_node(id, {{"zone", "east"}}));
  for (auto id : {"w1", "w2"})
    s.upsert_node(make_node(id, {{"zone", "west"}}));
  auto like = make_task("", "web");
  like.mutable_spec()->mutable_placement()->add_spread_preferences(
    "node.labels.zone");
  auto tasks = make_tasks(6, "t", like);
  auto ds = s.schedule(ptrs(tasks), pb::Placement::SPREAD);
  auto counts = per_node(ds);
  CHECK(counts["e1"] + counts["e2"] + counts["e3"] + counts["e4"] == 3);
  CHECK(counts["w1"] + counts["w2"] == 3);
  CHECK(counts["w1"] == 2);
  CHECK(counts["w2"] == 1);
  SECTION("existing tasks count: the emptier zone catches up") {
    auto more = make_tasks(4, "u", like);
    for (auto& t : more)
      t.mutable_spec()->mutable_placement()->clear_spread_preferences();
    // Give east two more tasks without preferences (spread over all nodes
    // lands them on the emptiest: e4 first, then e1... by id).
    auto first = s.schedule(ptrs({more[0], more[1]}), pb::Placement::SPREAD);
    CHECK(per_node(first) == std::map<std::string, int>{{"e4", 1}, {"e1", 1}});
    // east now 5, west 3: four new preferred tasks go 1 east, 3 west.
    auto next = make_tasks(4, "v", like);
    auto ds2 = per_node(s.schedule(ptrs(next), pb::Placement::SPREAD));
    CHECK(ds2["w1"] + ds2["w2"] == 3);
    CHECK(ds2["e1"] + ds2["e2"] + ds2["e3"] + ds2["e4"] == 1);
  }
  SECTION("a full zone hands its share to the others") {
    scheduler t;
    for (auto id : {"e1", "e2"})
      t.upsert_node(make_node(id, {{"zone", "east"}}));
    auto tiny = make_node("w1", {{"zone", "west"}});
    tiny.mutable_description()->mutable_resources()->set_nano_cpus(one_cpu);
    t.upsert_node(tiny);
    auto reserving = like;
    reserving.mutable_spec()
      ->mutable_resources()
      ->mutable_reservations()
      ->set_nano_cpus(one_cpu);
    auto ts = make_tasks(6, "t", reserving);
    auto got = per_node(t.schedule(ptrs(ts), pb::Placement::SPREAD));
    CHECK(got["w1"] == 1);
    CHECK(got["e1"] + got["e2"] == 5);
    CHECK(got.count("") == 0);
  }
  SECTION("nodes without the label form their own branch") {
    scheduler t;
    t.upsert_node(make_node("a", {{"zone", "east"}}));
    t.upsert_node(make_node("b", {{"zone", "east"}}));
    t.upsert_node(make_node("c"));
    auto ts = make_tasks(4, "t", like);
    auto got = per_node(t.schedule(ptrs(ts), pb::Placement::SPREAD));
    CHECK(got["c"] == 2);
    CHECK(got["a"] + got["b"] == 2);
  }
}

TEST_CASE("nested spread preferences split level by level", "[unit]") {
  scheduler s;
  s.upsert_node(make_node("a1", {{"zone", "a"}, {"rack", "1"}}));
  s.upsert_node(make_node("a2", {{"zone", "a"}, {"rack", "2"}}));
  s.upsert_node(make_node("a3", {{"zone", "a"}, {"rack", "2"}}));
  s.upsert_node(make_node("b1", {{"zone", "b"}, {"rack", "1"}}));
  auto like = make_task("", "web");
  like.mutable_spec()->mutable_placement()->add_spread_preferences(
    "node.labels.zone");
  like.mutable_spec()->mutable_placement()->add_spread_preferences(
    "node.labels.rack");
  auto ts = make_tasks(8, "t", like);
  auto got = per_node(s.schedule(ptrs(ts), pb::Placement::SPREAD));
  CHECK(got["b1"] == 4);
  CHECK(got["a1"] == 2);
  CHECK(got["a2"] + got["a3"] == 2);
}

TEST_CASE("binpack fills the most loaded node that still fits", "[unit]") {
  scheduler s;
  for (auto id : {"a", "b", "c"})
    s.upsert_node(make_node(id)); // 4 CPUs each
  auto existing = make_task("x", "other", 2 * one_cpu, 0);
  existing.set_node_id("b");
  existing.mutable_status()->set_state(pb::RUNNING);
  s.upsert_task(existing);
  auto like = make_task("", "web", one_cpu, 0);
  like.mutable_spec()->mutable_placement()->set_strategy(
    pb::Placement::BINPACK);
  auto ts = make_tasks(6, "t", like);
  auto ds = s.schedule(ptrs(ts), pb::Placement::SPREAD);
  // b first (2 CPUs left), then a (tie with c on load and tasks; id order).
  CHECK(per_node(ds) == std::map<std::string, int>{{"a", 4}, {"b", 2}});
  CHECK(ds[0].node_id == "b");
  CHECK(ds[1].node_id == "b");
  SECTION("without reservations everything lands on one node") {
    scheduler t;
    for (auto id : {"a", "b"})
      t.upsert_node(make_node(id));
    auto free = make_tasks(5, "f", make_task("", "web"));
    auto got = per_node(t.schedule(ptrs(free), pb::Placement::BINPACK));
    CHECK(got == std::map<std::string, int>{{"a", 5}});
  }
}

TEST_CASE("random is uniform over fitting nodes and fixed per seed", "[unit]") {
  auto run = [](uint64_t seed) {
    scheduler s{seed};
    for (int i = 0; i < 10; ++i)
      s.upsert_node(make_node("n" + std::to_string(i),
                              {{"zone", i < 5 ? "east" : "west"}}));
    auto like = make_task("", "web");
    like.mutable_spec()->mutable_placement()->add_constraints(
      "node.labels.zone==east");
    auto ts = make_tasks(1000, "t", like);
    return s.schedule(ptrs(ts), pb::Placement::RANDOM);
  };
  auto a = run(42);
  auto b = run(42);
  auto c = run(43);
  std::vector<std::string> na, nb, nc;
  for (size_t i = 0; i < a.size(); ++i) {
    na.push_back(a[i].node_id);
    nb.push_back(b[i].node_id);
    nc.push_back(c[i].node_id);
  }
  CHECK(na == nb);
  CHECK(na != nc);
  auto counts = per_node(a);
  REQUIRE(counts.size() == 5); // only east nodes, all of them
  for (auto& [node, n] : counts) {
    INFO("node=" << node);
    CHECK(node < "n5");
    CHECK(n > 120); // 200 expected each
    CHECK(n < 280);
  }
}

TEST_CASE("max_replicas caps a service per node", "[unit]") {
  scheduler s;
  for (auto id : {"a", "b", "c"})
    s.upsert_node(make_node(id));
  auto like = make_task("", "web");
  like.mutable_spec()->mutable_placement()->set_max_replicas(2);
  auto ts = make_tasks(7, "t", like);
  for (auto strategy :
       {pb::Placement::SPREAD, pb::Placement::BINPACK, pb::Placement::RANDOM}) {
    INFO("strategy=" << strategy);
    scheduler t = scheduler{7};
    for (auto id : {"a", "b", "c"})
      t.upsert_node(make_node(id));
    auto ds = t.schedule(ptrs(ts), strategy);
    auto counts = per_node(ds);
    CHECK(counts
          == std::map<std::string, int>{{"", 1}, {"a", 2}, {"b", 2}, {"c", 2}});
    for (const auto& d : ds)
      if (d.node_id.empty())
        CHECK(d.explanation
              == "no suitable node (max replicas per node limit exceed)");
  }
}
