#include "actors/orchestrator/task_model.hpp"

#include "fixtures.hpp"
#include "messages/ids.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

TEST_CASE("task model: new_task copies the service and starts NEW", "[unit]") {
  auto s = make_service("s1", 3);
  s.set_spec_version(7);
  std::mt19937_64 gen{42};
  auto t = new_task(s, 2, "", t0_ns, gen);
  CHECK(is_id(t.id()));
  CHECK(t.service_id() == "s1");
  CHECK(t.service_name() == "svc-s1");
  CHECK(t.slot() == 2);
  CHECK(t.node_id().empty());
  CHECK(t.spec().container().image() == "host");
  CHECK(t.spec_version() == 7);
  CHECK(t.desired_state() == pb::RUNNING);
  CHECK(t.status().state() == pb::NEW);
  CHECK(t.status().timestamp_ns() == t0_ns);
  CHECK(t.status().message() == "created");
  CHECK(t.meta().created_at_ns() == t0_ns);
  auto g = new_task(s, 0, "node1", t0_ns, gen);
  CHECK(g.node_id() == "node1");
  CHECK(g.id() != t.id());
}

TEST_CASE("task model: runnable means desired and observed <= RUNNING",
          "[unit]") {
  auto s = make_service("s1", 1);
  CHECK(is_runnable(make_task(s, 1, "", pb::PENDING)));
  CHECK(is_runnable(make_task(s, 1, "n", pb::RUNNING)));
  CHECK_FALSE(is_runnable(make_task(s, 1, "n", pb::FAILED)));
  CHECK_FALSE(is_runnable(make_task(s, 1, "n", pb::RUNNING, pb::SHUTDOWN)));
  CHECK(is_terminal(pb::COMPLETE));
  CHECK_FALSE(is_terminal(pb::RUNNING));
}

TEST_CASE("task model: actions keep the version they read", "[unit]") {
  auto s = make_service("s1", 1);
  auto t = make_task(s, 1, "n", pb::RUNNING);
  t.mutable_meta()->set_version(9);
  auto a = set_desired_action(t, pb::SHUTDOWN);
  CHECK(a.kind() == pb::StoreAction::UPDATE);
  CHECK(a.task().meta().version() == 9);
  CHECK(a.task().desired_state() == pb::SHUTDOWN);
  auto o = orphan_action(t, t0_ns + 5, "node removed");
  CHECK(o.task().status().state() == pb::ORPHANED);
  CHECK(o.task().desired_state() == pb::SHUTDOWN);
  CHECK(o.task().status().timestamp_ns() == t0_ns + 5);
  CHECK(remove_action(t).kind() == pb::StoreAction::REMOVE);
}
