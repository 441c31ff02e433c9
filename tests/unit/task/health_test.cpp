#include <catch2/catch.hpp>

#include "actors/task/health.hpp"

using namespace actorswarm;
using namespace actorswarm::task;

namespace {

constexpr int64_t s_ns = 1'000'000'000;

pb::ContainerSpec with_test(std::vector<std::string> test) {
  pb::ContainerSpec c;
  auto* h = c.mutable_healthcheck();
  for (auto& x : test)
    h->add_test(x);
  return c;
}

health_plan plan_of(uint32_t retries, int64_t start_period_ns) {
  health_plan p;
  p.argv = {"/bin/true"};
  p.retries = retries;
  p.start_period_ns = start_period_ns;
  return p;
}

} // namespace

TEST_CASE("a health plan has docker's defaults and commands", "[unit]") {
  auto c = with_test({"CMD-SHELL", "test -f /tmp/ok"});
  auto p = health_plan_of(c);
  REQUIRE(p);
  CHECK(p->argv
        == std::vector<std::string>{"/bin/sh", "-c", "test -f /tmp/ok"});
  CHECK(p->interval_ns == 30 * s_ns);
  CHECK(p->timeout_ns == 30 * s_ns);
  CHECK(p->retries == 3);
  CHECK(p->start_period_ns == 0);
  auto* h = c.mutable_healthcheck();
  h->set_interval_ns(2 * s_ns);
  h->set_timeout_ns(s_ns);
  h->set_retries(5);
  h->set_start_period_ns(7 * s_ns);
  p = health_plan_of(c);
  REQUIRE(p);
  CHECK(p->interval_ns == 2 * s_ns);
  CHECK(p->timeout_ns == s_ns);
  CHECK(p->retries == 5);
  CHECK(p->start_period_ns == 7 * s_ns);
  auto cmd = health_plan_of(with_test({"CMD", "/bin/test", "-f", "/x"}));
  REQUIRE(cmd);
  CHECK(cmd->argv == std::vector<std::string>{"/bin/test", "-f", "/x"});
  CHECK(has_health_check(c));
}

TEST_CASE("no check for none, NONE, an empty test or no command", "[unit]") {
  CHECK_FALSE(health_plan_of(pb::ContainerSpec{}));
  CHECK_FALSE(health_plan_of(with_test({"NONE"})));
  CHECK_FALSE(health_plan_of(with_test({})));
  CHECK_FALSE(health_plan_of(with_test({"CMD-SHELL"})));
  CHECK_FALSE(health_plan_of(with_test({"CMD-SHELL", ""})));
  CHECK_FALSE(health_plan_of(with_test({"CMD"})));
  CHECK_FALSE(health_plan_of(with_test({"BOGUS", "x"})));
  CHECK_FALSE(has_health_check(with_test({"NONE"})));
}

TEST_CASE("starting until the first success, then healthy", "[unit]") {
  health_monitor m{plan_of(3, 0), 0};
  CHECK(m.status() == pb::TaskStatus::STARTING);
  CHECK(m.on_probe(true, 1 * s_ns));
  CHECK(m.status() == pb::TaskStatus::HEALTHY);
  CHECK_FALSE(m.on_probe(true, 2 * s_ns));
  CHECK(m.status() == pb::TaskStatus::HEALTHY);
}

TEST_CASE("retries consecutive failures make a task unhealthy", "[unit]") {
  health_monitor m{plan_of(3, 0), 0};
  CHECK(m.on_probe(true, 1 * s_ns));
  CHECK_FALSE(m.on_probe(false, 2 * s_ns));
  CHECK_FALSE(m.on_probe(false, 3 * s_ns));
  CHECK(m.failing_streak() == 2);
  CHECK(m.status() == pb::TaskStatus::HEALTHY);
  // A success clears the streak.
  CHECK_FALSE(m.on_probe(true, 4 * s_ns));
  CHECK(m.failing_streak() == 0);
  CHECK_FALSE(m.on_probe(false, 5 * s_ns));
  CHECK_FALSE(m.on_probe(false, 6 * s_ns));
  CHECK(m.on_probe(false, 7 * s_ns));
  CHECK(m.status() == pb::TaskStatus::UNHEALTHY);
  CHECK(m.failing_streak() == 3);
  // Final: the task actor stops the task.
  CHECK_FALSE(m.on_probe(true, 8 * s_ns));
  CHECK(m.status() == pb::TaskStatus::UNHEALTHY);
}

TEST_CASE("a task that never passes turns unhealthy from starting", "[unit]") {
  health_monitor m{plan_of(2, 0), 0};
  CHECK_FALSE(m.on_probe(false, 1 * s_ns));
  CHECK(m.status() == pb::TaskStatus::STARTING);
  CHECK(m.on_probe(false, 2 * s_ns));
  CHECK(m.status() == pb::TaskStatus::UNHEALTHY);
}

TEST_CASE("failures within the start period do not count while starting",
          "[unit]") {
  // Started at 10s, start period 5s: probes started before 15s are free.
  health_monitor m{plan_of(1, 5 * s_ns), 10 * s_ns};
  CHECK_FALSE(m.on_probe(false, 11 * s_ns));
  CHECK_FALSE(m.on_probe(false, 14 * s_ns));
  CHECK(m.failing_streak() == 0);
  CHECK(m.status() == pb::TaskStatus::STARTING);
  CHECK(m.on_probe(false, 15 * s_ns));
  CHECK(m.status() == pb::TaskStatus::UNHEALTHY);
}

TEST_CASE("once healthy, failures count even within the start period",
          "[unit]") {
  health_monitor m{plan_of(2, 60 * s_ns), 0};
  CHECK(m.on_probe(true, 1 * s_ns));
  CHECK_FALSE(m.on_probe(false, 2 * s_ns));
  CHECK(m.on_probe(false, 3 * s_ns));
  CHECK(m.status() == pb::TaskStatus::UNHEALTHY);
}

TEST_CASE("a timed out probe is a failure like any other", "[unit]") {
  // The task actor reports a probe killed at its timeout as not ok.
  health_monitor m{plan_of(1, 0), 0};
  CHECK(m.on_probe(true, 1 * s_ns));
  CHECK(m.on_probe(false, 2 * s_ns));
  CHECK(m.status() == pb::TaskStatus::UNHEALTHY);
}

TEST_CASE("a healthy verdict resumes after a daemon restart", "[unit]") {
  health_monitor m{plan_of(3, 0), 0, pb::TaskStatus::HEALTHY};
  CHECK(m.status() == pb::TaskStatus::HEALTHY);
  health_monitor n{plan_of(3, 0), 0, pb::TaskStatus::UNHEALTHY};
  CHECK(n.status() == pb::TaskStatus::STARTING);
}

TEST_CASE("the unhealthy error and docker ps's health words", "[unit]") {
  process_exit x;
  x.exit_code = 143;
  CHECK(unhealthy_error(x)
        == "task: non-zero exit (143): dockerexec: unhealthy container");
  CHECK(unhealthy_error(process_exit{}) == "dockerexec: unhealthy container");
  CHECK(unhealthy_error(process_exit::unknown())
        == "dockerexec: unhealthy container");
  CHECK(std::string(health_text(pb::TaskStatus::STARTING))
        == "health: starting");
  CHECK(std::string(health_text(pb::TaskStatus::HEALTHY)) == "healthy");
  CHECK(std::string(health_text(pb::TaskStatus::UNHEALTHY)) == "unhealthy");
  CHECK(std::string(health_text(pb::TaskStatus::NONE)).empty());
}
