#include "actors/orchestrator/restart.hpp"

#include <limits>

#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

pb::Task dead_task(pb::RestartPolicy::Condition c, pb::TaskState st,
                   int exit_code, int64_t delay_ns = 0,
                   uint64_t max_attempts = 0, int64_t window_ns = 0) {
  auto s = make_service("s1", 1);
  auto* p = s.mutable_spec()->mutable_task()->mutable_restart();
  p->set_condition(c);
  p->set_delay_ns(delay_ns);
  p->set_max_attempts(max_attempts);
  p->set_window_ns(window_ns);
  auto t = make_task(s, 1, "n1", st, pb::RUNNING, t0_ns, t0_ns, "dead1");
  t.mutable_status()->set_exit_code(exit_code);
  return t;
}

} // namespace

TEST_CASE("restart: condition decides whether a dead task is replaced",
          "[unit]") {
  using C = pb::RestartPolicy;
  struct row {
    C::Condition cond;
    pb::TaskState state;
    int exit_code;
    restart_verdict want;
  };
  row rows[] = {
    {C::NONE, pb::FAILED, 1, restart_verdict::never},
    {C::NONE, pb::COMPLETE, 0, restart_verdict::never},
    {C::ON_FAILURE, pb::COMPLETE, 0, restart_verdict::never},
    {C::ON_FAILURE, pb::FAILED, 1, restart_verdict::now},
    {C::ON_FAILURE, pb::COMPLETE, 3, restart_verdict::now},
    {C::ON_FAILURE, pb::SHUTDOWN, 0, restart_verdict::now},
    {C::ON_FAILURE, pb::REJECTED, 0, restart_verdict::now},
    {C::ON_FAILURE, pb::ORPHANED, 0, restart_verdict::now},
    {C::ANY, pb::COMPLETE, 0, restart_verdict::now},
    {C::ANY, pb::FAILED, 137, restart_verdict::now},
  };
  for (const auto& r : rows) {
    INFO("condition=" << r.cond << " state=" << r.state
                      << " exit=" << r.exit_code);
    auto t = dead_task(r.cond, r.state, r.exit_code);
    CHECK(decide_restart(t, nullptr, t0_ns).verdict == r.want);
  }
}

TEST_CASE("restart: delay 0 restarts at once", "[unit]") {
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1, 0);
  auto d = decide_restart(t, nullptr, t0_ns);
  CHECK(d.verdict == restart_verdict::now);
}

TEST_CASE("restart: a 5 s delay runs from the terminal timestamp", "[unit]") {
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1, 5 * sec_ns);
  auto d = decide_restart(t, nullptr, t0_ns + 1 * sec_ns);
  CHECK(d.verdict == restart_verdict::later);
  CHECK(d.at_ns == t0_ns + 5 * sec_ns);
  CHECK(decide_restart(t, nullptr, t0_ns + 5 * sec_ns - 1).verdict
        == restart_verdict::later);
  CHECK(decide_restart(t, nullptr, t0_ns + 5 * sec_ns).verdict
        == restart_verdict::now);
}

TEST_CASE("restart: max attempts without window is a lifetime budget",
          "[unit]") {
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1, 0, 2);
  restart_tracker tr;
  CHECK(tr.decide(t, t0_ns).verdict == restart_verdict::now);
  tr.record_restart(t, t0_ns);
  CHECK(tr.decide(t, t0_ns + sec_ns).verdict == restart_verdict::now);
  tr.record_restart(t, t0_ns + sec_ns);
  auto d = tr.decide(t, t0_ns + 1000 * sec_ns);
  CHECK(d.verdict == restart_verdict::never);
  CHECK(d.attempts_exhausted);
}

TEST_CASE("restart: max attempts counts only restarts within the window",
          "[unit]") {
  auto window_ns = 60 * sec_ns;
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1, 0, 2, window_ns);
  restart_tracker tr;
  tr.record_restart(t, t0_ns);
  tr.record_restart(t, t0_ns + 10 * sec_ns);
  auto other = t;
  other.set_id("dead2");
  SECTION("inside the window: gives up, and stays given up for that task") {
    CHECK(tr.decide(t, t0_ns + 30 * sec_ns).verdict == restart_verdict::never);
    CHECK(tr.decide(t, t0_ns + 500 * sec_ns).verdict == restart_verdict::never);
    // A later failure of another task in the instance is judged afresh.
    CHECK(tr.decide(other, t0_ns + 500 * sec_ns).verdict
          == restart_verdict::now);
  }
  SECTION("once the first restart left the window, one attempt is free") {
    CHECK(tr.decide(other, t0_ns + 61 * sec_ns).verdict
          == restart_verdict::now);
    CHECK(tr.find(key_of(t))->restarts_ns.size() == 1);
  }
}

TEST_CASE("restart: a new spec_version starts a new count", "[unit]") {
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1, 0, 1);
  restart_tracker tr;
  tr.record_restart(t, t0_ns);
  CHECK(tr.decide(t, t0_ns).verdict == restart_verdict::never);
  auto t2 = t;
  t2.set_id("dead2");
  t2.set_spec_version(2);
  CHECK(tr.decide(t2, t0_ns).verdict == restart_verdict::now);
}

TEST_CASE("restart: instances are keyed by slot, or by node for global",
          "[unit]") {
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1);
  CHECK(key_of(t).slot == 1);
  CHECK(key_of(t).node_id.empty());
  t.set_slot(0);
  CHECK(key_of(t).node_id == "n1");
  restart_tracker tr;
  tr.record_restart(t, t0_ns);
  CHECK(tr.size() == 1);
  tr.forget_service("other");
  CHECK(tr.size() == 1);
  tr.forget_service("s1");
  CHECK(tr.size() == 0);
}

TEST_CASE("restart: a huge delay saturates instead of wrapping", "[unit]") {
  auto t = dead_task(pb::RestartPolicy::ANY, pb::FAILED, 1,
                     std::numeric_limits<int64_t>::max());
  auto d = decide_restart(t, nullptr, t0_ns);
  CHECK(d.verdict == restart_verdict::later);
  CHECK(d.at_ns == std::numeric_limits<int64_t>::max());
}
