#include <catch2/catch.hpp>

#include "actors/task/task_state_machine.hpp"

#include <vector>

using namespace actorswarm;
using namespace actorswarm::task;
using kind = observation::kind;

namespace {

pb::TaskStatus status_in(pb::TaskState s) {
  pb::TaskStatus x;
  x.set_state(s);
  x.set_timestamp_ns(1);
  return x;
}

observation obs_of(kind k) {
  observation o;
  o.what = k;
  return o;
}

observation exit_of(int32_t code, bool known = true) {
  auto o = obs_of(kind::exited);
  o.exit.exit_code = code;
  o.exit.known = known;
  return o;
}

observation error_of(std::string err, bool temporary = false) {
  auto o = obs_of(kind::error);
  o.err = std::move(err);
  o.temporary = temporary;
  return o;
}

const std::vector<pb::TaskState> all_states
  = {pb::NEW,    pb::PENDING,  pb::ASSIGNED, pb::ACCEPTED, pb::PREPARING,
     pb::READY,  pb::STARTING, pb::RUNNING,  pb::COMPLETE, pb::SHUTDOWN,
     pb::FAILED, pb::REJECTED, pb::REMOVE,   pb::ORPHANED};

} // namespace

TEST_CASE("tasks only move forward in SwarmKit order", "[unit]") {
  for (size_t i = 0; i < all_states.size(); ++i) {
    for (size_t j = 0; j < all_states.size(); ++j) {
      INFO(state_name(all_states[i]) << " -> " << state_name(all_states[j]));
      CHECK(can_transition(all_states[i], all_states[j]) == (j > i));
    }
  }
  CHECK_FALSE(can_transition(pb::RUNNING, static_cast<pb::TaskState>(513)));
  CHECK_FALSE(can_transition(static_cast<pb::TaskState>(1), pb::RUNNING));
}

TEST_CASE("manager and agent each set their own states", "[unit]") {
  struct row {
    pb::TaskState state;
    bool manager;
    bool agent;
  };
  std::vector<row> table = {
    {pb::NEW, true, false},       {pb::PENDING, true, false},
    {pb::ASSIGNED, true, false},  {pb::ACCEPTED, false, true},
    {pb::PREPARING, false, true}, {pb::READY, false, true},
    {pb::STARTING, false, true},  {pb::RUNNING, false, true},
    {pb::COMPLETE, false, true},  {pb::SHUTDOWN, false, true},
    {pb::FAILED, false, true},    {pb::REJECTED, false, true},
    {pb::REMOVE, true, false},    {pb::ORPHANED, true, false},
  };
  for (auto& r : table) {
    INFO(state_name(r.state));
    CHECK(may_set(writer::manager, r.state) == r.manager);
    CHECK(may_set(writer::agent, r.state) == r.agent);
  }
}

TEST_CASE("next_action follows SwarmKit Do()", "[unit]") {
  struct row {
    pb::TaskState desired;
    pb::TaskState current;
    action expected;
  };
  std::vector<row> table = {
    {pb::RUNNING, pb::ASSIGNED, action::none},
    {pb::RUNNING, pb::ACCEPTED, action::none},
    {pb::RUNNING, pb::PREPARING, action::prepare},
    {pb::RUNNING, pb::READY, action::none},
    {pb::RUNNING, pb::STARTING, action::start},
    {pb::RUNNING, pb::RUNNING, action::wait},
    {pb::RUNNING, pb::COMPLETE, action::none},
    {pb::SHUTDOWN, pb::RUNNING, action::shutdown},
    {pb::REMOVE, pb::RUNNING, action::shutdown},
    {pb::SHUTDOWN, pb::READY, action::none},
    {pb::SHUTDOWN, pb::FAILED, action::none},
  };
  for (auto& r : table) {
    INFO(state_name(r.desired) << " / " << state_name(r.current));
    CHECK(next_action(r.desired, r.current) == r.expected);
  }
}

TEST_CASE("step table: one state step per call", "[unit]") {
  struct row {
    pb::TaskState desired;
    pb::TaskState current;
    observation obs;
    pb::TaskState expected;
    std::string err;
  };
  auto done = obs_of(kind::done);
  auto pending = obs_of(kind::pending);
  std::vector<row> table = {
    // The happy path, one step at a time.
    {pb::RUNNING, pb::ASSIGNED, done, pb::ACCEPTED, ""},
    {pb::RUNNING, pb::ACCEPTED, done, pb::PREPARING, ""},
    {pb::RUNNING, pb::PREPARING, done, pb::READY, ""},
    {pb::RUNNING, pb::READY, done, pb::STARTING, ""},
    {pb::RUNNING, pb::STARTING, done, pb::RUNNING, ""},
    {pb::RUNNING, pb::RUNNING, pending, pb::RUNNING, ""},
    {pb::RUNNING, pb::RUNNING, exit_of(0), pb::COMPLETE, ""},
    {pb::RUNNING, pb::RUNNING, exit_of(3), pb::FAILED,
     "task: non-zero exit (3)"},
    {pb::RUNNING, pb::RUNNING, exit_of(0, false), pb::FAILED,
     exit_unknown_text},
    // Pause states wait for the desired state.
    {pb::READY, pb::READY, done, pb::READY, ""},
    {pb::ACCEPTED, pb::ACCEPTED, done, pb::ACCEPTED, ""},
    {pb::READY, pb::ACCEPTED, done, pb::PREPARING, ""},
    // Errors: before STARTING a reject, from STARTING on a failure.
    {pb::RUNNING, pb::PREPARING, error_of("task: bad spec"), pb::REJECTED,
     "task: bad spec"},
    {pb::RUNNING, pb::STARTING, error_of("task: exec \"foo\": nope"),
     pb::FAILED, "task: exec \"foo\": nope"},
    {pb::RUNNING, pb::PREPARING, error_of("busy", true), pb::PREPARING, ""},
    {pb::RUNNING, pb::STARTING, exit_of(2), pb::FAILED,
     "task: non-zero exit (2)"},
    // Shutdown: immediate without a process, after the exit with one.
    {pb::SHUTDOWN, pb::ACCEPTED, done, pb::SHUTDOWN, ""},
    {pb::SHUTDOWN, pb::STARTING, done, pb::SHUTDOWN, ""},
    {pb::SHUTDOWN, pb::RUNNING, pending, pb::RUNNING, ""},
    {pb::SHUTDOWN, pb::RUNNING, exit_of(143), pb::SHUTDOWN, ""},
    {pb::REMOVE, pb::RUNNING, exit_of(137), pb::SHUTDOWN, ""},
    // Terminal states never move (no revival).
    {pb::RUNNING, pb::FAILED, done, pb::FAILED, ""},
    {pb::SHUTDOWN, pb::COMPLETE, done, pb::COMPLETE, ""},
  };
  for (auto& r : table) {
    INFO(state_name(r.desired) << " / " << state_name(r.current));
    auto res = step(r.desired, status_in(r.current), r.obs, 42);
    CHECK(res.status.state() == r.expected);
    CHECK(res.changed == (r.expected != r.current));
    CHECK(res.status.err() == r.err);
    CHECK(res.status.timestamp_ns() == (res.changed ? 42 : 1));
  }
}

TEST_CASE("step records pid, start time and exit code", "[unit]") {
  auto o = obs_of(kind::done);
  o.pid = 1234;
  o.started_at_ns = 99;
  auto r = step(pb::RUNNING, status_in(pb::STARTING), o, 7);
  CHECK(r.status.pid() == 1234);
  CHECK(r.status.started_at_ns() == 99);
  CHECK(r.status.message() == "started");
  auto f = step(pb::RUNNING, r.status, exit_of(5), 8);
  CHECK(f.status.exit_code() == 5);
  CHECK(f.status.pid() == 1234);
  auto e = exit_of(127);
  e.err = "task: exec \"foo\": No such file or directory";
  auto g = step(pb::RUNNING, r.status, e, 9);
  CHECK(g.status.state() == pb::FAILED);
  CHECK(g.status.err() == e.err);
}

TEST_CASE("driving Do() to completion never moves backwards", "[unit]") {
  auto st = status_in(pb::ASSIGNED);
  int64_t now_ns = 10;
  for (int i = 0; i < 20 && !is_terminal(st.state()); ++i) {
    auto act = next_action(pb::RUNNING, st.state());
    auto o = act == action::wait ? exit_of(0) : obs_of(kind::done);
    auto r = step(pb::RUNNING, st, o, ++now_ns);
    REQUIRE(r.changed);
    REQUIRE(can_transition(st.state(), r.status.state()));
    st = r.status;
  }
  CHECK(st.state() == pb::COMPLETE);
}

TEST_CASE("a process may exist only from STARTING to RUNNING", "[unit]") {
  for (auto s : all_states) {
    INFO(state_name(s));
    CHECK(may_have_process(s) == (s == pb::STARTING || s == pb::RUNNING));
  }
}

TEST_CASE("an adopted process makes the task RUNNING, never backwards",
          "[unit]") {
  for (auto s : all_states) {
    INFO(state_name(s));
    auto r = adopted(status_in(s), 1234, 42);
    if (s < pb::RUNNING) {
      REQUIRE(r.changed);
      CHECK(r.status.state() == pb::RUNNING);
      CHECK(r.status.message() == "adopted after daemon restart");
      CHECK(r.status.err().empty());
      CHECK(r.status.pid() == 1234);
      CHECK(r.status.started_at_ns() == 42);
      CHECK(r.status.timestamp_ns() == 42);
    } else {
      CHECK_FALSE(r.changed);
      CHECK(r.status.state() == s);
      CHECK(r.status.timestamp_ns() == 1);
    }
  }
}

TEST_CASE("a known exit with code 0 succeeds, unknown ends and signals fail",
          "[unit]") {
  task::process_exit ok;
  CHECK(ok.succeeded());
  CHECK(to_string(ok) == "exit code 0");
  task::process_exit killed;
  killed.exit_code = 137;
  killed.signal = 9;
  CHECK_FALSE(killed.succeeded());
  CHECK(to_string(killed) == "killed by signal 9");
  CHECK_FALSE(task::process_exit::unknown().succeeded());
  CHECK(to_string(task::process_exit::unknown()) == exit_unknown_text);
  CHECK(exit_error(killed) == "task: non-zero exit (137)");
  CHECK(exit_error(task::process_exit::unknown()) == exit_unknown_text);
}
