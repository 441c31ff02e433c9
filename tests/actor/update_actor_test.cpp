#include "actors/update/update_actor.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>

#include "actor/store_fixture.hpp"
#include "actors/allocator/allocator_actor.hpp"
#include "actors/control/service_rules.hpp"
#include "actors/orchestrator/orchestrator_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/update/update_plan.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

using fail_fn = std::function<bool(const pb::Task&)>;

bool has_env(const pb::Task& t, const std::string& kv) {
  auto& env = t.spec().container().env();
  return std::find(env.begin(), env.end(), kv) != env.end();
}

// The leader's actors (store, orchestrator, allocator, scheduler and the
// update actor) over one READY node; the test plays the agent.
struct update_fixture : store_fixture {
  update::update_actor_type updater;
  std::string id;
  /// The most processes (STARTING..RUNNING) one slot held at once, the
  /// fewest slots up, over every agent move.
  size_t procs_per_slot_max = 0;
  size_t up_min = 1'000;

  update_fixture() {
    spawn_store();
    propose(batch_of(pb::StoreAction::CREATE, make_node("n1")));
    track(orchestrator::spawn_orchestrator(sys, store, clk));
    track(allocator::spawn_allocator(sys, store, clk));
    track(scheduler::spawn_scheduler(sys, store, clk));
    updater = track(update::spawn_update(sys, store, clk));
    drain();
  }

  // A `host sleep 3600` service with `replicas` and update policy `u`, all
  // its tasks running.
  void create(uint64_t replicas, const pb::UpdateConfig& u) {
    auto spec = make_spec("web", replicas);
    *spec.mutable_update() = u;
    *spec.mutable_rollback() = u;
    spec.mutable_rollback()->set_failure_action(pb::UpdateConfig::PAUSE);
    auto svc = make_service("svc1", spec);
    id = svc.id();
    propose(batch_of(pb::StoreAction::CREATE, svc, clk.now_ns()));
    drain();
    settle();
    REQUIRE(up() == replicas);
    procs_per_slot_max = 0;
    up_min = 1'000;
  }

  pb::Service service() {
    return *view()->services().at(id);
  }

  pb::UpdateStatus::State state() {
    return service().update_status().state();
  }

  // `service update --env-add kv` through the control rules.
  void update_env(const std::string& kv) {
    pb::ServiceUpdateRequest req;
    req.set_ref(id);
    *req.mutable_spec() = service().spec();
    req.mutable_spec()->mutable_task()->mutable_container()->add_env(kv);
    auto d = control::update_service(*view(), req, clk.now_ns());
    REQUIRE(d);
    propose(d->batch);
    drain();
  }

  std::vector<pb::Task> tasks() {
    std::vector<pb::Task> out;
    for (auto& t : view()->tasks_of(id))
      out.push_back(*t);
    return out;
  }

  // Slots with an up task still desired RUNNING.
  size_t up(const std::string& env = {}) {
    std::set<uint64_t> slots;
    for (auto& t : tasks())
      if (update::is_up(t) && t.desired_state() <= pb::RUNNING
          && (env.empty() || has_env(t, env)))
        slots.insert(t.slot());
    return slots.size();
  }

  size_t count_with(const std::string& env) {
    size_t n = 0;
    for (auto& t : tasks())
      n += has_env(t, env) ? 1 : 0;
    return n;
  }

  // The agent: one report per task that has somewhere to go (READY when
  // desired READY, RUNNING, SHUTDOWN when asked to stop, FAILED for `fails`
  // once running). False when nothing moved.
  bool agent(const fail_fn& fails = {}) {
    pb::StoreBatch b;
    b.set_proposed_at_ns(clk.now_ns());
    for (auto& t : tasks()) {
      auto st = t.status().state();
      if (st < pb::ASSIGNED || st > pb::RUNNING)
        continue;
      auto next = st;
      if (t.desired_state() > pb::RUNNING)
        next = pb::SHUTDOWN;
      else if (st < pb::READY)
        next = pb::READY;
      else if (st == pb::READY && t.desired_state() == pb::RUNNING)
        next = pb::RUNNING;
      else if (st == pb::RUNNING && fails && fails(t))
        next = pb::FAILED;
      if (next == st)
        continue;
      auto* a = b.add_actions();
      a->set_kind(pb::StoreAction::UPDATE);
      a->set_status_only(true);
      a->mutable_task()->set_id(t.id());
      auto& s = *a->mutable_task()->mutable_status();
      s.set_state(next);
      s.set_timestamp_ns(clk.now_ns());
    }
    if (b.actions_size() == 0)
      return false;
    propose(std::move(b));
    drain();
    check();
    return true;
  }

  void check() {
    std::map<uint64_t, size_t> procs;
    for (auto& t : tasks()) {
      auto st = t.status().state();
      if (st >= pb::STARTING && st <= pb::RUNNING)
        ++procs[t.slot()];
    }
    for (auto& [slot, n] : procs)
      procs_per_slot_max = std::max(procs_per_slot_max, n);
    up_min = std::min(up_min, up());
  }

  // Agent moves until nothing moves (bounded).
  void settle(const fail_fn& fails = {}) {
    for (int i = 0; i < 200 && agent(fails); ++i)
      ; // nop
  }
};

pb::UpdateConfig
policy(uint64_t parallelism, int64_t delay_ns, int64_t monitor_ns,
       pb::UpdateConfig::Order order = pb::UpdateConfig::STOP_FIRST,
       pb::UpdateConfig::FailureAction action = pb::UpdateConfig::PAUSE) {
  pb::UpdateConfig u;
  u.set_parallelism(parallelism);
  u.set_delay_ns(delay_ns);
  u.set_monitor_ns(monitor_ns);
  u.set_order(order);
  u.set_failure_action(action);
  return u;
}

} // namespace

TEST_CASE_METHOD(update_fixture,
                 "update actor: stop-first replaces 4 replicas in batches of "
                 "2, one process per slot, then completes",
                 "[actor]") {
  create(4, policy(2, 0, 0));
  update_env("V=2");
  CHECK(state() == pb::UpdateStatus::UPDATING);
  // The first batch: two slots, old desired SHUTDOWN, new ones READY.
  CHECK(count_with("V=2") == 2);
  size_t ready = 0;
  for (auto& t : tasks())
    if (has_env(t, "V=2"))
      ready += t.desired_state() == pb::READY ? 1 : 0;
  CHECK(ready == 2);
  settle();
  CHECK(state() == pb::UpdateStatus::COMPLETED);
  CHECK(service().update_status().message() == "update completed");
  CHECK(up("V=2") == 4);
  CHECK(count_with("V=2") == 4);
  CHECK(procs_per_slot_max == 1);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: start-first starts the new task first and "
                 "shuts the old one once the new one runs",
                 "[actor]") {
  create(3, policy(1, 0, 0, pb::UpdateConfig::START_FIRST));
  update_env("V=2");
  auto slot_of_new = [&] {
    for (auto& t : tasks())
      if (has_env(t, "V=2"))
        return t;
    FAIL("no new task");
    return pb::Task{};
  };
  auto fresh = slot_of_new();
  CHECK(fresh.desired_state() == pb::RUNNING);
  auto old_running = [&] {
    for (auto& t : tasks())
      if (!has_env(t, "V=2") && t.slot() == fresh.slot())
        return t.desired_state() == pb::RUNNING;
    return false;
  };
  agent(); // READY
  CHECK(old_running());
  agent(); // RUNNING: now the old one goes
  CHECK_FALSE(old_running());
  settle();
  CHECK(state() == pb::UpdateStatus::COMPLETED);
  CHECK(up("V=2") == 3);
  CHECK(up_min >= 3);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: the delay between batches runs on the clock",
                 "[actor]") {
  create(3, policy(1, 10 * sec_ns, 0));
  update_env("V=2");
  settle();
  CHECK(up("V=2") == 1);
  advance(9s);
  settle();
  CHECK(up("V=2") == 1);
  advance(1s);
  settle();
  CHECK(up("V=2") == 2);
  advance(10s);
  settle();
  CHECK(up("V=2") == 3);
  CHECK(state() == pb::UpdateStatus::COMPLETED);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: the monitor period delays the next batch and "
                 "the completion",
                 "[actor]") {
  create(2, policy(1, 0, 5 * sec_ns));
  update_env("V=2");
  settle();
  CHECK(up("V=2") == 1);
  advance(4s);
  settle();
  CHECK(up("V=2") == 1);
  advance(1s);
  settle();
  CHECK(up("V=2") == 2);
  CHECK(state() == pb::UpdateStatus::UPDATING);
  advance(5s);
  CHECK(state() == pb::UpdateStatus::COMPLETED);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: a new task that fails pauses the update and "
                 "nothing more is replaced",
                 "[actor]") {
  create(4, policy(1, 0, 5 * sec_ns));
  update_env("V=2");
  auto bad = [](const pb::Task& t) { return has_env(t, "V=2"); };
  settle(bad);
  REQUIRE(state() == pb::UpdateStatus::PAUSED);
  auto msg = service().update_status().message();
  CHECK(msg.rfind("update paused due to failure or early termination of task ",
                  0)
        == 0);
  // Slots 2..4 still run the old spec.
  CHECK(up() >= 3);
  advance(60s);
  settle(bad);
  CHECK(state() == pb::UpdateStatus::PAUSED);
  std::set<uint64_t> new_slots;
  for (auto& t : tasks())
    if (has_env(t, "V=2"))
      new_slots.insert(t.slot());
  CHECK(new_slots.size() == 1);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: failure action continue goes on to the end",
                 "[actor]") {
  create(3, policy(1, 0, 0, pb::UpdateConfig::STOP_FIRST,
                   pb::UpdateConfig::CONTINUE));
  update_env("V=2");
  std::set<std::string> failed;
  // The first new task fails once; its restart runs.
  auto bad = [&](const pb::Task& t) {
    if (!has_env(t, "V=2") || (!failed.empty() && failed.count(t.id()) == 0))
      return false;
    failed.insert(t.id());
    return true;
  };
  settle(bad);
  CHECK(state() == pb::UpdateStatus::COMPLETED);
  CHECK(up("V=2") == 3);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: failure action rollback goes back to the "
                 "previous spec by itself",
                 "[actor]") {
  create(4, policy(2, 0, 5 * sec_ns, pb::UpdateConfig::STOP_FIRST,
                   pb::UpdateConfig::ROLLBACK));
  update_env("V=2");
  auto bad = [](const pb::Task& t) { return has_env(t, "V=2"); };
  settle(bad);
  // Rolling back, or done already when nothing was left to replace.
  if (state() != pb::UpdateStatus::ROLLBACK_COMPLETED) {
    REQUIRE(state() == pb::UpdateStatus::ROLLBACK_STARTED);
    CHECK(service().update_status().message().rfind(
            "update rolled back due to failure or early termination of task ",
            0)
          == 0);
  }
  // The rollback policy's monitor period, then it is complete.
  advance(5s);
  settle(bad);
  auto s = service();
  CHECK(s.update_status().state() == pb::UpdateStatus::ROLLBACK_COMPLETED);
  CHECK(s.update_status().message() == "rollback completed");
  CHECK(s.spec().task().container().env_size() == 0);
  CHECK_FALSE(s.has_previous_spec());
  CHECK(up() == 4);
  CHECK(up("V=2") == 0);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: service rollback drives the slots back",
                 "[actor]") {
  create(2, policy(0, 0, 0));
  update_env("V=2");
  settle();
  REQUIRE(state() == pb::UpdateStatus::COMPLETED);
  pb::ServiceUpdateRequest back;
  back.set_ref(id);
  back.set_rollback(true);
  auto d = control::update_service(*view(), back, clk.now_ns());
  REQUIRE(d);
  propose(d->batch);
  drain();
  CHECK(state() == pb::UpdateStatus::ROLLBACK_STARTED);
  settle();
  CHECK(state() == pb::UpdateStatus::ROLLBACK_COMPLETED);
  CHECK(up() == 2);
  CHECK(up("V=2") == 0);
}

TEST_CASE_METHOD(update_fixture,
                 "update actor: a restarted update actor resumes the update "
                 "where it stopped",
                 "[actor]") {
  create(6, policy(2, 0, 0));
  update_env("V=2");
  // Batch 1 done, batch 2 created: then the actor dies (a leader change).
  for (int i = 0; i < 50 && count_with("V=2") < 4; ++i)
    REQUIRE(agent());
  REQUIRE(count_with("V=2") == 4);
  caf::anon_send_exit(updater, caf::exit_reason::kill);
  drain();
  settle();
  CHECK(state() == pb::UpdateStatus::UPDATING);
  CHECK(count_with("V=2") == 4); // nobody drives it
  updater = track(update::spawn_update(sys, store, clk));
  drain();
  settle();
  CHECK(state() == pb::UpdateStatus::COMPLETED);
  CHECK(up("V=2") == 6);
  CHECK(count_with("V=2") == 6); // no slot replaced twice
  CHECK(procs_per_slot_max == 1);
}
