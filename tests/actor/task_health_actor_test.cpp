// The task actor's health checks: timer-driven probes on the test clock,
// health reported to the agent, an unhealthy task stopped and failed.

#include "actor/task_fixture.hpp"

// -- health checks ------------------------------------------------------------

namespace {

constexpr auto probe_interval = 10s;
constexpr auto probe_timeout = 3s;

pb::Task checked_task(uint32_t retries, int64_t start_period_ns = 0) {
  auto t = make_task(pb::ASSIGNED, pb::RUNNING);
  auto& h = *t.mutable_spec()->mutable_container()->mutable_healthcheck();
  h.add_test("CMD-SHELL");
  h.add_test("test -f /tmp/ok");
  h.set_interval_ns(caf::timespan{probe_interval}.count());
  h.set_timeout_ns(caf::timespan{probe_timeout}.count());
  h.set_retries(retries);
  h.set_start_period_ns(start_period_ns);
  return t;
}

struct health_fixture : task_fixture {
  size_t probes() const {
    return static_cast<size_t>(std::count(exec->calls.begin(),
                                          exec->calls.end(), "probe"));
  }

  /// Ends the running probe with `code`, as the watcher would.
  void probe_exit(int32_t code) {
    REQUIRE(exec->on_probe_exit);
    auto cb = std::exchange(exec->on_probe_exit, nullptr);
    cb(exited(code));
    drain();
  }

  /// The next probe falls due and ends with `code`.
  void next_probe(int32_t code) {
    auto before = probes();
    advance(probe_interval);
    REQUIRE(probes() == before + 1);
    probe_exit(code);
  }

  std::vector<pb::TaskStatus::Health> healths() const {
    std::vector<pb::TaskStatus::Health> out;
    for (auto& s : seen->statuses)
      if (s.state() == pb::RUNNING)
        out.push_back(s.health());
    return out;
  }
};

} // namespace

TEST_CASE_METHOD(health_fixture,
                 "task actor: a health check runs on its own timer, starting "
                 "until it passes, then healthy",
                 "[actor]") {
  spawn(checked_task(2));
  CHECK(lines() == started_lines());
  CHECK(seen->statuses.back().health() == pb::TaskStatus::STARTING);
  CHECK(probes() == 0);
  advance(probe_interval - 1s);
  CHECK(probes() == 0); // the first probe one interval after the start
  advance(1s);
  REQUIRE(probes() == 1);
  CHECK(exec->probe_argv
        == std::vector<std::string>{"/bin/sh", "-c", "test -f /tmp/ok"});
  probe_exit(0);
  CHECK(healths()
        == std::vector<pb::TaskStatus::Health>{pb::TaskStatus::STARTING,
                                               pb::TaskStatus::HEALTHY});
  // The health report keeps the RUNNING status as it was.
  CHECK(seen->statuses.back().message() == "started");
  CHECK(seen->statuses.back().pid() == fake_pid);
  // One interval after each probe ended; a repeat verdict is not reported.
  next_probe(0);
  next_probe(1);
  CHECK(healths().size() == 2);
  CHECK(task_alive());
  CHECK(std::count(exec->calls.begin(), exec->calls.end(), "shutdown") == 0);
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: retries failed checks make the task unhealthy, "
                 "stopped and failed",
                 "[actor]") {
  spawn(checked_task(2));
  next_probe(0);
  next_probe(1);
  CHECK(healths().back() == pb::TaskStatus::HEALTHY);
  next_probe(1);
  CHECK(healths().back() == pb::TaskStatus::UNHEALTHY);
  CHECK(exec->calls.back() == "shutdown");
  // No probe while it stops (within its 10s grace period).
  advance(probe_interval - 1s);
  CHECK(probes() == 3);
  exit_with(exited(143, 15));
  auto& last = seen->statuses.back();
  CHECK(last.state() == pb::FAILED);
  CHECK(last.err()
        == "task: non-zero exit (143): dockerexec: unhealthy container");
  CHECK(last.exit_code() == 143);
  CHECK(last.health() == pb::TaskStatus::UNHEALTHY);
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: a probe past its timeout is killed and counts "
                 "as failed",
                 "[actor]") {
  spawn(checked_task(1));
  advance(probe_interval);
  REQUIRE(probes() == 1);
  advance(probe_timeout - 1s);
  CHECK(exec->calls.back() == "probe");
  advance(1s);
  CHECK(std::count(exec->calls.begin(), exec->calls.end(), "terminate-probe")
        == 1);
  CHECK(healths().back() == pb::TaskStatus::UNHEALTHY);
  CHECK(exec->calls.back() == "shutdown");
  // The killed probe's late exit changes nothing.
  probe_exit(137);
  CHECK(healths().back() == pb::TaskStatus::UNHEALTHY);
  exit_with(exited(0));
  CHECK(seen->statuses.back().state() == pb::FAILED);
  CHECK(seen->statuses.back().err() == "dockerexec: unhealthy container");
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: failures within the start period do not count",
                 "[actor]") {
  // Start period 25s: the probes at 10s and 20s are free, the one at 30s
  // counts.
  spawn(checked_task(1, caf::timespan{25s}.count()));
  next_probe(1);
  next_probe(1);
  CHECK(healths().back() == pb::TaskStatus::STARTING);
  CHECK(std::count(exec->calls.begin(), exec->calls.end(), "shutdown") == 0);
  next_probe(1);
  CHECK(healths().back() == pb::TaskStatus::UNHEALTHY);
  CHECK(exec->calls.back() == "shutdown");
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: a probe the runtime cannot start counts as "
                 "failed",
                 "[actor]") {
  exec->probe_error = fail(errc::internal, "task: health check: no fork");
  spawn(checked_task(1));
  advance(probe_interval);
  CHECK(probes() == 1);
  CHECK(healths().back() == pb::TaskStatus::UNHEALTHY);
  CHECK(exec->calls.back() == "shutdown");
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: a stop kills a running probe and ends the "
                 "checks",
                 "[actor]") {
  auto t = checked_task(3);
  spawn(t);
  advance(probe_interval);
  REQUIRE(probes() == 1);
  t.set_desired_state(pb::SHUTDOWN);
  assign(t);
  CHECK(std::count(exec->calls.begin(), exec->calls.end(), "terminate-probe")
        == 1);
  CHECK(exec->calls.back() == "shutdown");
  exit_with(exited(143, 15));
  CHECK(seen->statuses.back().state() == pb::SHUTDOWN);
  CHECK(seen->statuses.back().err().empty());
  advance(probe_interval * 3);
  CHECK(probes() == 1);
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: no check, or --no-healthcheck, runs no probe",
                 "[actor]") {
  auto t = make_task(pb::ASSIGNED, pb::RUNNING);
  SECTION("none") {
    spawn(t);
  }
  SECTION("NONE") {
    t.mutable_spec()->mutable_container()->mutable_healthcheck()->add_test(
      "NONE");
    spawn(t);
  }
  advance(probe_interval * 4);
  CHECK(probes() == 0);
  CHECK(seen->statuses.back().health() == pb::TaskStatus::NONE);
}

TEST_CASE_METHOD(health_fixture,
                 "task actor: an adopted task keeps its healthy verdict and "
                 "goes on checking",
                 "[actor]") {
  auto t = checked_task(1);
  t.mutable_status()->set_state(pb::RUNNING);
  t.mutable_status()->set_health(pb::TaskStatus::HEALTHY);
  spawn(t, task::process_record{fake_pid, fake_start_ticks, fake_pid});
  CHECK(seen->statuses.empty());
  next_probe(1);
  CHECK(healths()
        == std::vector<pb::TaskStatus::Health>{pb::TaskStatus::UNHEALTHY});
}
