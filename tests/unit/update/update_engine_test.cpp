#include "actors/update/update_engine.hpp"

#include "update_world.hpp"

using namespace actorswarm;
using namespace actorswarm::update;
using namespace actorswarm::update::test;

namespace {

void set_policy(world& w, uint64_t parallelism, int64_t delay_ns,
                int64_t monitor_ns,
                pb::UpdateConfig::Order order = pb::UpdateConfig::STOP_FIRST,
                pb::UpdateConfig::FailureAction action
                = pb::UpdateConfig::PAUSE,
                float ratio = 0) {
  auto& u = *w.svc.mutable_spec()->mutable_update();
  u.set_parallelism(parallelism);
  u.set_delay_ns(delay_ns);
  u.set_monitor_ns(monitor_ns);
  u.set_order(order);
  u.set_failure_action(action);
  u.set_max_failure_ratio(ratio);
}

bool has_env(const pb::Task& t, const std::string& kv) {
  auto& env = t.spec().container().env();
  return std::find(env.begin(), env.end(), kv) != env.end();
}

} // namespace

TEST_CASE("update engine: stop-first replaces 5 slots 2 at a time, never "
          "two processes in a slot",
          "[unit]") {
  world w{5};
  set_policy(w, 2, 0, 0);
  w.start(5);
  w.update_env("V=2");
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.svc.update_status().message() == "update completed");
  CHECK(w.up_with("V=2") == 5);
  CHECK(w.created.size() == 5);
  CHECK(w.in_flight_max == 2);
  CHECK(w.processes_per_slot_max == 1);
  CHECK(w.now_ns == t0_ns); // monitor 0, delay 0: no wait at all
}

TEST_CASE("update engine: parallelism 0 replaces every slot in one batch",
          "[unit]") {
  world w{4};
  set_policy(w, 0, 0, 0);
  w.start(4);
  w.update_env("V=2");
  REQUIRE(w.step());
  size_t created = 0;
  for (auto& t : w.tasks)
    created += has_env(t, "V=2") ? 1 : 0;
  CHECK(created == 4);
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.up_with("V=2") == 4);
}

TEST_CASE("update engine: start-first keeps every replica up and shuts the "
          "old task once the new one runs",
          "[unit]") {
  world w{6};
  set_policy(w, 2, 0, 0, pb::UpdateConfig::START_FIRST);
  w.start(6);
  w.update_env("V=2");
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.up_with("V=2") == 6);
  CHECK(w.up_count() == 6);
  CHECK(w.up_min >= 6);
  CHECK(w.in_flight_max == 2);
  CHECK(w.created.size() == 6);
}

TEST_CASE("update engine: start-first waits for a health check to pass",
          "[unit]") {
  world w{2};
  set_policy(w, 1, 0, 0, pb::UpdateConfig::START_FIRST);
  w.start(2);
  w.update([](pb::ServiceSpec& s) {
    auto* hc = s.mutable_task()->mutable_container()->mutable_healthcheck();
    hc->add_test("CMD");
    hc->add_test("true");
  });
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.up_min >= 2);
  for (auto& t : w.tasks)
    if (t.desired_state() <= pb::RUNNING)
      CHECK(t.status().health() == pb::TaskStatus::HEALTHY);
}

TEST_CASE("update engine: the delay separates batches and the run ends when "
          "the last batch is up",
          "[unit]") {
  world w{3};
  set_policy(w, 1, 10 * sec_ns, 0);
  w.start(3);
  w.update_env("V=2");
  REQUIRE(w.run_until([&] { return w.up_with("V=2") == 1; }));
  CHECK(w.now_ns == t0_ns);
  REQUIRE(w.run_until([&] { return w.up_with("V=2") == 2; }));
  CHECK(w.now_ns == t0_ns + 10 * sec_ns);
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.now_ns == t0_ns + 20 * sec_ns);
  CHECK(w.svc.update_status().completed_at_ns() == t0_ns + 20 * sec_ns);
}

TEST_CASE("update engine: the monitor period holds the next batch and the "
          "completion",
          "[unit]") {
  world w{2};
  set_policy(w, 1, 0, 5 * sec_ns);
  w.start(2);
  w.update_env("V=2");
  REQUIRE(w.run_until([&] { return w.up_with("V=2") == 2; }));
  CHECK(w.now_ns == t0_ns + 5 * sec_ns);
  CHECK(w.state() == pb::UpdateStatus::UPDATING);
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.now_ns == t0_ns + 10 * sec_ns);
}

TEST_CASE("update engine: a new task failing within the monitor period "
          "pauses the update, naming it",
          "[unit]") {
  world w{4};
  set_policy(w, 1, 0, 5 * sec_ns);
  w.start(4);
  w.fails_after = [](const pb::Task& t) -> std::optional<int64_t> {
    if (has_env(t, "V=2"))
      return 3 * sec_ns;
    return std::nullopt;
  };
  w.update_env("V=2");
  REQUIRE(w.run_until([&] { return w.state() == pb::UpdateStatus::PAUSED; }));
  auto& msg = w.svc.update_status().message();
  CHECK(msg.rfind("update paused due to failure or early termination of task ",
                  0)
        == 0);
  auto id = msg.substr(msg.rfind(' ') + 1);
  CHECK(w.created.count(id) == 1);
  CHECK(w.created.size() == 1); // nothing after the first batch
  // Paused stays paused, even for a fresh engine (a new leader).
  w.engine = update_engine{};
  w.fails_after = nullptr;
  w.run_until([] { return false; }, 50);
  CHECK(w.state() == pb::UpdateStatus::PAUSED);
  CHECK(w.created.size() == 1);
  // The next `service update` starts again.
  w.update_env("V=3");
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.up_with("V=3") == 4);
}

TEST_CASE("update engine: a failure after the monitor period is no failure",
          "[unit]") {
  world w{2};
  set_policy(w, 1, 0, 2 * sec_ns);
  w.start(2);
  w.fails_after = [](const pb::Task& t) -> std::optional<int64_t> {
    if (has_env(t, "V=2"))
      return 3 * sec_ns;
    return std::nullopt;
  };
  w.update_env("V=2");
  REQUIRE(w.run_until([&] { return w.state() != pb::UpdateStatus::UPDATING; }));
  CHECK(w.state() == pb::UpdateStatus::COMPLETED);
}

TEST_CASE("update engine: failure action continue and a tolerated ratio "
          "both complete",
          "[unit]") {
  for (auto action : {pb::UpdateConfig::CONTINUE, pb::UpdateConfig::PAUSE}) {
    world w{4};
    bool tolerant = action == pb::UpdateConfig::PAUSE;
    set_policy(w, 1, 0, 5 * sec_ns, pb::UpdateConfig::STOP_FIRST, action,
               tolerant ? 0.25f : 0);
    w.start(4);
    std::string first;
    w.fails_after = [&](const pb::Task& t) -> std::optional<int64_t> {
      if (!has_env(t, "V=2") || t.slot() != 2)
        return std::nullopt;
      if (first.empty())
        first = t.id();
      return t.id() == first ? std::optional<int64_t>{sec_ns} : std::nullopt;
    };
    w.update_env("V=2");
    REQUIRE(w.run_until([&] {
      return w.state() != pb::UpdateStatus::UPDATING;
    }));
    INFO("action " << action);
    CHECK(w.state() == pb::UpdateStatus::COMPLETED);
    REQUIRE(w.run_until([&] { return w.up_with("V=2") == 4; }));
  }
}

TEST_CASE("update engine: failure action rollback restores the previous spec "
          "with the rollback policy",
          "[unit]") {
  world w{4};
  set_policy(w, 2, 0, 5 * sec_ns, pb::UpdateConfig::STOP_FIRST,
             pb::UpdateConfig::ROLLBACK);
  w.svc.mutable_spec()->mutable_rollback()->set_parallelism(0);
  w.start(4);
  w.fails_after = [](const pb::Task& t) -> std::optional<int64_t> {
    if (has_env(t, "V=2"))
      return 0;
    return std::nullopt;
  };
  w.update_env("V=2");
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::ROLLBACK_STARTED;
  }));
  CHECK(w.svc.update_status().message().rfind(
          "update rolled back due to failure or early termination of task ", 0)
        == 0);
  CHECK(w.svc.spec().task().container().env_size() == 0);
  CHECK_FALSE(w.svc.has_previous_spec());
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::ROLLBACK_COMPLETED;
  }));
  CHECK(w.svc.update_status().message() == "rollback completed");
  REQUIRE(w.run_until([&] { return w.up_count() == 4; }));
  CHECK(w.up_with("V=2") == 0);
  // The slots the update never reached kept their original tasks.
  CHECK(w.created.size() <= 4);
}

TEST_CASE("update engine: a failing rollback pauses instead of rolling back "
          "again",
          "[unit]") {
  world w{2};
  set_policy(w, 1, 0, 5 * sec_ns, pb::UpdateConfig::STOP_FIRST,
             pb::UpdateConfig::ROLLBACK);
  auto& rb = *w.svc.mutable_spec()->mutable_rollback();
  rb.set_parallelism(1);
  rb.set_monitor_ns(5 * sec_ns);
  rb.set_failure_action(pb::UpdateConfig::ROLLBACK);
  w.start(2);
  w.fails_after = [](const pb::Task&) -> std::optional<int64_t> { return 0; };
  w.update_env("V=2");
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::ROLLBACK_PAUSED;
  }));
  CHECK(w.svc.update_status().message().rfind(
          "rollback paused due to failure or early termination of task ", 0)
        == 0);
}

TEST_CASE("update engine: a manual rollback drives the slots back with the "
          "rollback policy",
          "[unit]") {
  world w{3};
  set_policy(w, 1, 0, 0);
  w.svc.mutable_spec()->mutable_rollback()->set_parallelism(0);
  w.start(3);
  w.update_env("V=2");
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  auto back = manual_rollback(w.svc, w.now_ns);
  REQUIRE(back);
  w.svc = *back;
  w.svc.set_spec_version(w.svc.spec_version() + 1);
  w.svc.mutable_meta()->set_version(w.svc.meta().version() + 1);
  REQUIRE(w.step());
  CHECK(w.in_flight_max <= 3);
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::ROLLBACK_COMPLETED;
  }));
  CHECK(w.up_with("V=2") == 0);
  CHECK(w.up_count() == 3);
}

TEST_CASE("update engine: a fresh engine resumes mid-update and replaces "
          "only the slots still outdated",
          "[unit]") {
  for (auto order :
       {pb::UpdateConfig::STOP_FIRST, pb::UpdateConfig::START_FIRST}) {
    INFO("order " << order);
    world w{6};
    set_policy(w, 2, 0, 0, order);
    w.start(6);
    w.update_env("V=2");
    // Into the second batch: two slots done, two mid-replacement.
    REQUIRE(w.run_until([&] { return w.created.size() == 4; }));
    w.engine = update_engine{}; // the leader changed
    REQUIRE(w.run_until([&] {
      return w.state() == pb::UpdateStatus::COMPLETED;
    }));
    CHECK(w.up_with("V=2") == 6);
    CHECK(w.created.size() == 6);
    CHECK(w.processes_per_slot_max
          == (order == pb::UpdateConfig::STOP_FIRST ? 1u : 2u));
    if (order == pb::UpdateConfig::START_FIRST)
      CHECK(w.up_min >= 6);
  }
}

TEST_CASE(
  "update engine: a label change replaces nothing, and a change without "
  "outdated tasks completes at once",
  "[unit]") {
  world w{2};
  w.start(2);
  w.update([](pb::ServiceSpec& s) { (*s.mutable_labels())["a"] = "b"; });
  CHECK_FALSE(w.svc.has_update_status());
  CHECK_FALSE(w.step());
  CHECK_FALSE(w.svc.has_update_status());
  // UPDATING with nothing outdated (a placement all nodes satisfy).
  w.update([](pb::ServiceSpec& s) {
    s.mutable_task()->mutable_placement()->add_constraints("node.id==n1");
  });
  REQUIRE(w.state() == pb::UpdateStatus::UPDATING);
  REQUIRE(w.step());
  CHECK(w.state() == pb::UpdateStatus::COMPLETED);
  CHECK(w.created.empty());
}

TEST_CASE("update engine: --force replaces every task of a global service",
          "[unit]") {
  world w{0, pb::ServiceSpec::GLOBAL};
  set_policy(w, 1, 0, 0);
  w.start(3);
  w.update([](pb::ServiceSpec& s) {
    s.mutable_task()->set_force_update(s.task().force_update() + 1);
  });
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.created.size() == 3);
  CHECK(w.up_count() == 3);
  CHECK(w.processes_per_slot_max == 1);
}

TEST_CASE("update engine: a refused batch leaves the run as it was", "[unit]") {
  world w{2};
  set_policy(w, 1, 0, 0);
  w.start(2);
  w.update_env("V=2");
  auto r = w.engine.step(w.svc.id(), &w.svc, w.tasks, w.ctx(), w.now_ns, w.gen);
  REQUIRE_FALSE(r.actions.empty());
  w.engine.reject(w.svc.id());
  // Still the run of the spec before the update.
  REQUIRE(w.engine.find(w.svc.id()) != nullptr);
  CHECK(w.engine.find(w.svc.id())->spec_version == 1);
  // Decided again from the same view: the same slot, a new task.
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  CHECK(w.created.size() == 2);
}

TEST_CASE("update engine: a service with nothing to replace is idle until "
          "its spec changes",
          "[unit]") {
  world w{2};
  set_policy(w, 1, 0, 0);
  w.start(2);
  CHECK(w.engine.idle(w.svc.id(), w.svc.spec_version()));
  w.update_env("V=2");
  CHECK_FALSE(w.engine.idle(w.svc.id(), w.svc.spec_version()));
  REQUIRE(w.step());
  CHECK_FALSE(w.engine.idle(w.svc.id(), w.svc.spec_version()));
  REQUIRE(w.run_until([&] {
    return w.state() == pb::UpdateStatus::COMPLETED;
  }));
  w.run_until([] { return false; }, 20);
  CHECK(w.engine.idle(w.svc.id(), w.svc.spec_version()));
}
