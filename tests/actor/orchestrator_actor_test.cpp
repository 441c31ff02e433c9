#include "actors/orchestrator/orchestrator_actor.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "actor/store_fixture.hpp"
#include "actors/allocator/allocator_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// The leader's write path without agents: store, orchestrator, allocator and
// scheduler, with one READY node created first.
struct pipeline_fixture : store_fixture {
  pipeline_fixture() {
    spawn_store();
    propose(batch_of(pb::StoreAction::CREATE, make_node("n1")));
    track(orchestrator::spawn_orchestrator(sys, store, clk));
    track(allocator::spawn_allocator(sys, store, clk));
    track(scheduler::spawn_scheduler(sys, store, clk));
    drain();
  }

  std::string create(uint64_t replicas, int64_t restart_delay_ns) {
    auto svc = make_service("svc1",
                            make_spec("web", replicas, restart_delay_ns));
    propose(batch_of(pb::StoreAction::CREATE, svc, clk.now_ns()));
    return svc.id();
  }

  // Tasks of `svc_id` still desired RUNNING, ordered by slot.
  std::vector<pb::Task> desired_running(const std::string& svc_id) {
    std::vector<pb::Task> out;
    for (auto& t : view()->tasks_of(svc_id))
      if (t->desired_state() == pb::RUNNING)
        out.push_back(*t);
    std::sort(out.begin(), out.end(),
              [](auto& x, auto& y) { return x.slot() < y.slot(); });
    return out;
  }

  // What an agent reports when the task's process died.
  void report_failed(const pb::Task& t) {
    pb::StoreBatch b;
    b.set_proposed_at_ns(clk.now_ns());
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    a->set_status_only(true);
    a->mutable_task()->set_id(t.id());
    auto& st = *a->mutable_task()->mutable_status();
    st.set_state(pb::FAILED);
    st.set_err("task: non-zero exit (1)");
    st.set_exit_code(1);
    st.set_timestamp_ns(clk.now_ns());
    propose(std::move(b));
    drain();
  }
};

} // namespace

TEST_CASE_METHOD(pipeline_fixture,
                 "orchestrator: a 3-replica service yields 3 tasks assigned to "
                 "the ready node",
                 "[actor]") {
  auto id = create(3, 0);
  drain();
  auto ts = desired_running(id);
  REQUIRE(ts.size() == 3);
  for (uint64_t i = 0; i < 3; ++i) {
    INFO("task " << ts[i].ShortDebugString());
    CHECK(ts[i].slot() == i + 1);
    CHECK(ts[i].status().state() == pb::ASSIGNED);
    CHECK(ts[i].node_id() == "n1");
    CHECK(ts[i].service_name() == "web");
  }
}

TEST_CASE_METHOD(pipeline_fixture,
                 "orchestrator: scale 3 to 1 sets desired SHUTDOWN on slots 2 "
                 "and 3",
                 "[actor]") {
  auto id = create(3, 0);
  drain();
  auto svc = *view()->services().at(id);
  svc.mutable_spec()->set_replicas(1);
  svc.set_spec_version(svc.spec_version() + 1); // as `service scale` does
  propose(batch_of(pb::StoreAction::UPDATE, svc, clk.now_ns()));
  drain();
  auto ts = view()->tasks_of(id);
  REQUIRE(ts.size() == 3);
  for (auto& t : ts) {
    INFO("task " << t->ShortDebugString());
    CHECK(t->desired_state() == (t->slot() == 1 ? pb::RUNNING : pb::SHUTDOWN));
  }
}

TEST_CASE_METHOD(pipeline_fixture,
                 "orchestrator: a failed task is replaced in its slot at once "
                 "with restart delay 0",
                 "[actor]") {
  auto id = create(3, 0);
  drain();
  auto old = desired_running(id).at(1);
  report_failed(old);
  auto ts = desired_running(id);
  REQUIRE(ts.size() == 3);
  auto& repl = ts[1];
  CHECK(repl.slot() == 2);
  CHECK(repl.id() != old.id());
  CHECK(repl.status().state() == pb::ASSIGNED);
  auto v = view();
  auto dead = v->tasks().at(old.id());
  CHECK(dead->status().state() == pb::FAILED);
  CHECK(dead->desired_state() == pb::SHUTDOWN);
}

TEST_CASE_METHOD(pipeline_fixture,
                 "orchestrator: with a 5 s restart delay the replacement "
                 "waits until the clocks move 5 s",
                 "[actor]") {
  auto id = create(3, 5 * sec_ns);
  drain();
  auto old = desired_running(id).at(0);
  report_failed(old);
  auto slot1 = [&] {
    std::vector<pb::Task> out;
    for (auto& t : view()->tasks_of(id))
      if (t->slot() == 1)
        out.push_back(*t);
    return out;
  };
  CHECK(slot1().size() == 1);
  advance(4s);
  CHECK(slot1().size() == 1);
  advance(999ms);
  CHECK(slot1().size() == 1);
  advance(1ms);
  auto xs = slot1();
  REQUIRE(xs.size() == 2);
  auto repl = xs[0].id() == old.id() ? xs[1] : xs[0];
  CHECK(repl.desired_state() == pb::RUNNING);
  CHECK(repl.status().state() == pb::ASSIGNED);
  CHECK(view()->tasks().at(old.id())->desired_state() == pb::SHUTDOWN);
}

TEST_CASE_METHOD(pipeline_fixture,
                 "orchestrator: a 2500-replica service is created in batches "
                 "of at most 1000 tasks, one after the other commits",
                 "[actor]") {
  auto id = create(2'500, 0);
  drain();
  CHECK(desired_running(id).size() == 2'500);
  // Every proposal in the log: none creates more than a batch of tasks.
  auto xs = log.entries(log.first_index(), log.last_index() + 1,
                        std::numeric_limits<uint64_t>::max());
  REQUIRE(xs);
  std::vector<size_t> creates;
  for (auto& e : *xs) {
    pb::StoreBatch b;
    if (e.type() != pb::Entry::NORMAL || !b.ParseFromString(e.data()))
      continue;
    size_t n = 0;
    for (auto& a : b.actions())
      n += a.kind() == pb::StoreAction::CREATE && a.has_task() ? 1 : 0;
    if (n > 0)
      creates.push_back(n);
  }
  CHECK(creates == std::vector<size_t>{1'000, 1'000, 500});
}
