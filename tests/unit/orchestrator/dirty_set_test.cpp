#include "actors/orchestrator/dirty_set.hpp"

#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

using ids = std::vector<std::string>;

pb::StoreAction act(pb::StoreAction::Kind k, const pb::Service& s) {
  pb::StoreAction a;
  a.set_kind(k);
  *a.mutable_service() = s;
  return a;
}

pb::StoreAction act(pb::StoreAction::Kind k, const pb::Task& t) {
  pb::StoreAction a;
  a.set_kind(k);
  *a.mutable_task() = t;
  return a;
}

pb::StoreAction act(pb::StoreAction::Kind k, const pb::Node& n) {
  pb::StoreAction a;
  a.set_kind(k);
  *a.mutable_node() = n;
  return a;
}

struct dirty_fixture {
  dirty_set ds;
  pb::Service rep = make_service("r1", 2);
  pb::Service rep2 = make_service("r2", 2);
  pb::Service glob = make_service("g1", 0, pb::ServiceSpec::GLOBAL);

  dirty_fixture() {
    using K = pb::StoreAction;
    for (const auto* s : {&rep, &rep2, &glob})
      ds.observe(act(K::CREATE, *s));
    ds.observe(act(K::CREATE, make_task(rep, 1, "n1", pb::RUNNING, pb::RUNNING,
                                        t0_ns, t0_ns, "t1")));
    ds.observe(act(K::CREATE, make_task(rep2, 1, "n2", pb::RUNNING, pb::RUNNING,
                                        t0_ns, t0_ns, "t2")));
    ds.take();
  }
};

} // namespace

TEST_CASE_METHOD(dirty_fixture,
                 "dirty set: service and task events mark "
                 "their service once",
                 "[unit]") {
  using K = pb::StoreAction;
  CHECK(ds.empty());
  ds.observe(act(K::UPDATE, rep));
  ds.observe(act(K::UPDATE, make_task(rep, 1, "n1", pb::FAILED, pb::RUNNING,
                                      t0_ns, t0_ns, "t1")));
  ds.observe(act(K::UPDATE, rep));
  CHECK(ds.take() == ids{"r1"});
  CHECK(ds.empty());
  ds.observe(act(K::REMOVE, rep2));
  CHECK(ds.take() == ids{"r2"});
  CHECK(ds.known_services() == 2);
}

TEST_CASE_METHOD(dirty_fixture,
                 "dirty set: node events mark global services "
                 "and services with tasks there",
                 "[unit]") {
  using K = pb::StoreAction;
  ds.observe(act(K::UPDATE, make_node("n1", pb::NodeSpec::DRAIN)));
  CHECK(ds.take() == ids{"g1", "r1"});
  ds.observe(act(K::CREATE, make_node("n9")));
  CHECK(ds.take() == ids{"g1"});
  SECTION("a task that moved or was deleted no longer links its node") {
    ds.observe(act(K::REMOVE, make_task(rep, 1, "n1", pb::FAILED, pb::SHUTDOWN,
                                        t0_ns, t0_ns, "t1")));
    ds.take();
    ds.observe(act(K::REMOVE, make_node("n1")));
    CHECK(ds.take() == ids{"g1"});
  }
}

TEST_CASE_METHOD(dirty_fixture, "dirty set: cluster events mark everything",
                 "[unit]") {
  pb::StoreAction a;
  a.set_kind(pb::StoreAction::UPDATE);
  a.mutable_cluster()->set_id("c");
  ds.observe(a);
  CHECK(ds.take() == ids{"g1", "r1", "r2"});
}

TEST_CASE_METHOD(dirty_fixture, "dirty set: timers fire under injected time",
                 "[unit]") {
  CHECK_FALSE(ds.next_timer_ns());
  ds.schedule("r1", t0_ns + 5 * sec_ns);
  ds.schedule("r1", t0_ns + 3 * sec_ns);
  ds.schedule("r2", t0_ns + 9 * sec_ns);
  CHECK(*ds.next_timer_ns() == t0_ns + 3 * sec_ns);
  CHECK(ds.fire_due(t0_ns + 2 * sec_ns) == 0);
  CHECK(ds.empty());
  CHECK(ds.fire_due(t0_ns + 3 * sec_ns) == 1);
  CHECK(ds.take() == ids{"r1"});
  CHECK(*ds.next_timer_ns() == t0_ns + 9 * sec_ns);
  ds.observe(act(pb::StoreAction::REMOVE, rep2));
  CHECK_FALSE(ds.next_timer_ns());
}
