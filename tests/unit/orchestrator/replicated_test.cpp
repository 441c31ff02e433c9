#include "actors/orchestrator/replicated.hpp"

#include "actors/orchestrator/reconcile.hpp"
#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

struct replicated_fixture {
  pb::Service svc = make_service("s1", 3);
  std::vector<pb::Task> tasks;
  node_map nodes;
  restart_tracker restarts;
  std::mt19937_64 gen{7};

  replicated_fixture() {
    add_node(nodes, make_node("n1"));
    add_node(nodes, make_node("n2"));
  }

  reconcile_result pass(int64_t now_ns) {
    auto r = reconcile_replicated(svc, tasks, nodes, restarts, now_ns, gen);
    apply_actions(tasks, r.actions);
    return r;
  }

  // Reconcile, let the workers run everything, until nothing changes.
  void converge(int64_t now_ns) {
    for (int i = 0; i < 10; ++i) {
      auto r = pass(now_ns);
      settle(tasks, "n1", now_ns);
      if (r.actions.empty())
        return;
    }
    FAIL("no fixpoint after 10 passes");
  }

  pb::Task& in_slot(uint64_t slot) {
    for (auto& t : tasks)
      if (t.slot() == slot && is_runnable(t))
        return t;
    FAIL("no runnable task in slot " << slot);
    return tasks.front();
  }
};

} // namespace

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: scale up from nothing creates slots 1..N",
                 "[unit]") {
  auto r = pass(t0_ns);
  REQUIRE(r.actions.size() == 3);
  CHECK(count_kind(r.actions, pb::StoreAction::CREATE) == 3);
  CHECK_FALSE(r.next_wakeup_ns);
  auto per = runnable_per_instance(tasks);
  CHECK(per
        == std::map<std::string, int>{
          {"slot:1", 1}, {"slot:2", 1}, {"slot:3", 1}});
  SECTION("a second pass is a no-op") {
    CHECK(pass(t0_ns).actions.empty());
  }
  SECTION("scale up adds only the missing slots") {
    svc.mutable_spec()->set_replicas(5);
    auto r2 = pass(t0_ns);
    CHECK(count_kind(r2.actions, pb::StoreAction::CREATE) == 2);
    CHECK(runnable_per_instance(tasks).size() == 5);
  }
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: scale down shuts down the highest slots",
                 "[unit]") {
  svc.mutable_spec()->set_replicas(5);
  converge(t0_ns);
  svc.mutable_spec()->set_replicas(2);
  auto r = pass(t0_ns);
  REQUIRE(r.actions.size() == 3);
  for (const auto& a : r.actions) {
    CHECK(a.kind() == pb::StoreAction::UPDATE);
    CHECK(a.task().desired_state() == pb::SHUTDOWN);
    CHECK(a.task().slot() > 2);
  }
  CHECK(runnable_per_instance(tasks)
        == std::map<std::string, int>{{"slot:1", 1}, {"slot:2", 1}});
  SECTION("scale to zero shuts down everything") {
    svc.mutable_spec()->set_replicas(0);
    pass(t0_ns);
    CHECK(runnable_per_instance(tasks).empty());
  }
  SECTION("scaling back up refills the freed slots with new tasks") {
    settle(tasks, "n1", t0_ns);
    svc.mutable_spec()->set_replicas(4);
    auto r2 = pass(t0_ns);
    CHECK(count_kind(r2.actions, pb::StoreAction::CREATE) == 2);
    CHECK(runnable_per_instance(tasks).size() == 4);
  }
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: never two runnable tasks in one slot", "[unit]") {
  tasks.push_back(make_task(svc, 1, "n1", pb::RUNNING, pb::RUNNING, t0_ns));
  tasks.push_back(make_task(svc, 1, "n2", pb::ASSIGNED, pb::RUNNING,
                            t0_ns + sec_ns));
  tasks.push_back(make_task(svc, 2, "n1", pb::FAILED, pb::RUNNING, t0_ns));
  tasks.push_back(make_task(svc, 2, "n1", pb::FAILED, pb::RUNNING,
                            t0_ns + sec_ns));
  auto keep = tasks[0].id();
  pass(t0_ns + 2 * sec_ns);
  // slot 1 keeps the RUNNING one; slot 2 replaces the newest dead one and
  // retires the older one; slot 3 is created.
  CHECK(in_slot(1).id() == keep);
  for (const auto& t : tasks)
    if (t.slot() == 2 && !is_runnable(t))
      CHECK(t.desired_state() == pb::SHUTDOWN);
  CHECK(runnable_per_instance(tasks).size() == 3);
  for (const auto& [k, n] : runnable_per_instance(tasks))
    CHECK(n == 1);
  CHECK(restarts.find(restart_key{"s1", 2, {}}) != nullptr);
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: restart delay holds the slot until it expires",
                 "[unit]") {
  svc.mutable_spec()->set_replicas(1);
  svc.mutable_spec()->mutable_task()->mutable_restart()->set_delay_ns(5
                                                                      * sec_ns);
  converge(t0_ns);
  auto& t = in_slot(1);
  t.mutable_status()->set_state(pb::FAILED);
  t.mutable_status()->set_timestamp_ns(t0_ns + 10 * sec_ns);
  auto failed_id = t.id();
  auto r = pass(t0_ns + 11 * sec_ns);
  CHECK(r.actions.empty());
  REQUIRE(r.next_wakeup_ns);
  CHECK(*r.next_wakeup_ns == t0_ns + 15 * sec_ns);
  auto r2 = pass(t0_ns + 15 * sec_ns);
  CHECK_FALSE(r2.next_wakeup_ns);
  REQUIRE(r2.actions.size() == 2);
  CHECK(r2.actions[0].task().id() == failed_id);
  CHECK(r2.actions[0].task().desired_state() == pb::SHUTDOWN);
  CHECK(r2.actions[1].kind() == pb::StoreAction::CREATE);
  CHECK(r2.actions[1].task().slot() == 1);
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: giving up leaves the slot to the dead task",
                 "[unit]") {
  svc.mutable_spec()->set_replicas(1);
  svc.mutable_spec()->mutable_task()->mutable_restart()->set_condition(
    pb::RestartPolicy::NONE);
  converge(t0_ns);
  auto& t = in_slot(1);
  t.mutable_status()->set_state(pb::COMPLETE);
  CHECK(pass(t0_ns + sec_ns).actions.empty());
  CHECK(pass(t0_ns + 100 * sec_ns).actions.empty());
  SECTION("a spec update replaces it") {
    svc.set_spec_version(2);
    auto r = pass(t0_ns + 200 * sec_ns);
    CHECK(count_kind(r.actions, pb::StoreAction::CREATE) == 1);
    CHECK(runnable_per_instance(tasks).size() == 1);
  }
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: max attempts stops a crash loop", "[unit]") {
  svc.mutable_spec()->set_replicas(1);
  svc.mutable_spec()->mutable_task()->mutable_restart()->set_max_attempts(3);
  converge(t0_ns);
  int created = 0;
  for (int i = 1; i <= 6; ++i) {
    auto now_ns = t0_ns + i * sec_ns;
    for (auto& t : tasks)
      if (is_runnable(t)) {
        t.mutable_status()->set_state(pb::FAILED);
        t.mutable_status()->set_timestamp_ns(now_ns);
      }
    created += static_cast<int>(count_kind(pass(now_ns).actions,
                                           pb::StoreAction::CREATE));
  }
  CHECK(created == 3);
  CHECK(runnable_per_instance(tasks).empty());
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: tasks of drained, down and removed nodes move",
                 "[unit]") {
  svc.mutable_spec()->set_replicas(1);
  svc.mutable_spec()->mutable_task()->mutable_restart()->set_condition(
    pb::RestartPolicy::NONE);
  converge(t0_ns);
  auto old_id = in_slot(1).id();
  pb::TaskState want_state = pb::RUNNING;
  SECTION("drain") {
    nodes["n1"].mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
  }
  SECTION("down") {
    nodes["n1"].mutable_status()->set_state(pb::NodeStatus::DOWN);
  }
  SECTION("removed") {
    nodes.erase("n1");
    want_state = pb::ORPHANED;
  }
  auto r = pass(t0_ns + sec_ns);
  REQUIRE(r.actions.size() == 2);
  CHECK(r.actions[0].task().id() == old_id);
  CHECK(r.actions[0].task().desired_state() == pb::SHUTDOWN);
  CHECK(r.actions[0].task().status().state() == want_state);
  CHECK(r.actions[1].kind() == pb::StoreAction::CREATE);
  CHECK(r.actions[1].task().node_id().empty());
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: paused and unreachable nodes keep their tasks",
                 "[unit]") {
  converge(t0_ns);
  nodes["n1"].mutable_spec()->set_availability(pb::NodeSpec::PAUSE);
  CHECK(pass(t0_ns).actions.empty());
  nodes["n1"].mutable_status()->set_state(pb::NodeStatus::DISCONNECTED);
  CHECK(pass(t0_ns).actions.empty());
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: a removed service asks live tasks to REMOVE",
                 "[unit]") {
  converge(t0_ns);
  tasks.push_back(make_task(svc, 1, "", pb::PENDING));
  tasks.push_back(make_task(svc, 2, "n1", pb::FAILED, pb::SHUTDOWN));
  restarts.record_restart(tasks.back(), t0_ns);
  auto r = reconcile_service(nullptr, tasks, nodes, {}, restarts, t0_ns, gen);
  // The 3 running ones; PENDING and FAILED are the reaper's.
  CHECK(r.actions.size() == 3);
  for (const auto& a : r.actions)
    CHECK(a.task().desired_state() == pb::REMOVE);
  CHECK(restarts.size() == 0);
}

TEST_CASE("replicated: equal inputs and seed give equal output", "[unit]") {
  auto run = [] {
    replicated_fixture f;
    f.svc.mutable_spec()->set_replicas(4);
    f.converge(t0_ns);
    f.svc.mutable_spec()->set_replicas(2);
    f.converge(t0_ns + sec_ns);
    std::string all;
    for (const auto& t : f.tasks)
      all += t.SerializeAsString();
    return all;
  };
  CHECK(run() == run());
}

TEST_CASE_METHOD(replicated_fixture,
                 "replicated: a slot running tasks of the current and of an "
                 "older spec_version is left to the rolling update",
                 "[unit]") {
  converge(t0_ns);
  auto old = in_slot(2);
  svc.set_spec_version(2);
  auto fresh = make_task(svc, 2, "n1", pb::STARTING);
  tasks.push_back(fresh);
  auto dead = make_task(svc, 2, "n1", pb::FAILED);
  tasks.push_back(dead);
  auto r = pass(t0_ns);
  // Only the dead leftover goes; both live tasks stay desired RUNNING.
  REQUIRE(r.actions.size() == 1);
  CHECK(r.actions[0].task().id() == dead.id());
  CHECK(r.actions[0].task().desired_state() == pb::SHUTDOWN);
  // Two runnable tasks of one spec_version are a duplicate: one goes.
  svc.set_spec_version(3);
  r = pass(t0_ns);
  REQUIRE(r.actions.size() == 1);
  CHECK(r.actions[0].task().desired_state() == pb::SHUTDOWN);
  CHECK(r.actions[0].task().id() == fresh.id()); // the less advanced one
  (void) old;
}
