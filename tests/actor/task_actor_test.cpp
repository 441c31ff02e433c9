#include "actors/task/task_actor.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/agent/agent_interface.hpp"
#include "actors/task/executor.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

constexpr int fake_pid = 4242;
constexpr uint64_t fake_start_ticks = 77;
constexpr int probe_pid = 5151;

// An executor that runs nothing: it records the calls the task actor makes
// and hands the exit callback to the test, which decides when and how the
// "process" ends.
class fake_executor : public task::executor {
public:
  // -- what the test configures -----------------------------------------------

  std::optional<failure> prepare_error;
  std::optional<failure> start_error;
  bool adopt_ok = true;
  /// exec_result's answer after the exit.
  task::exec_state exec_outcome = task::exec_state::running;
  std::string exec_reason;

  // -- what the test observes -------------------------------------------------

  std::vector<std::string> calls;
  /// The network namespace each start() was given ("" for none).
  std::vector<std::string> netns_paths;
  std::function<void(task::process_exit)> on_exit;
  /// The running health probe's exit callback, and the argv it ran.
  std::function<void(task::process_exit)> on_probe_exit;
  std::vector<std::string> probe_argv;
  std::optional<failure> probe_error;

  /// Ends the "process" the way the watcher would report it.
  void exit_with(task::process_exit x) {
    REQUIRE(on_exit);
    auto cb = std::exchange(on_exit, nullptr);
    cb(x);
  }

  // -- executor ---------------------------------------------------------------

  result<std::string> prepare(const pb::Task&) override {
    calls.push_back("prepare");
    if (prepare_error)
      return *prepare_error;
    return std::string{};
  }

  result<task::started_process> start(const pb::Task&,
                                      const task::start_options& o) override {
    calls.push_back("start");
    netns_paths.push_back(o.netns_path);
    if (start_error)
      return *start_error;
    return task::started_process{{fake_pid, fake_start_ticks, fake_pid},
                                 -1,
                                 -1};
  }

  status release(task::started_process& proc) override {
    calls.push_back("release");
    proc.released = true;
    return ok_status();
  }

  task::exec_state exec_result(task::started_process&,
                               std::string& reason) override {
    reason = exec_reason;
    return exec_outcome;
  }

  bool wait(const task::process_handle& h, bool is_child,
            std::function<void(task::process_exit)> cb) override {
    calls.push_back(is_child ? "wait" : "wait-adopted");
    CHECK(h.pid == fake_pid);
    on_exit = std::move(cb);
    return true;
  }

  bool adopt(const task::process_handle& h,
             std::function<void(task::process_exit)> cb) override {
    calls.push_back("adopt");
    CHECK(h.pid == fake_pid);
    CHECK(h.start_time_ticks == fake_start_ticks);
    if (!adopt_ok)
      return false;
    on_exit = std::move(cb);
    return true;
  }

  void resume_output(const std::string&,
                     const task::process_handle& h) override {
    calls.push_back("resume-output");
    CHECK(h.pid == fake_pid);
  }

  status shutdown(const task::process_handle&) override {
    calls.push_back("shutdown");
    return ok_status();
  }

  status terminate(const task::process_handle& h) override {
    calls.push_back(h.pid == probe_pid ? "terminate-probe" : "terminate");
    return ok_status();
  }

  result<task::process_handle>
  probe(const pb::Task&, const task::process_handle& h,
        const std::vector<std::string>& argv,
        std::function<void(task::process_exit)> cb) override {
    calls.push_back("probe");
    CHECK(h.pid == fake_pid);
    probe_argv = argv;
    if (probe_error)
      return *probe_error;
    on_probe_exit = std::move(cb);
    return task::process_handle{probe_pid, 1, probe_pid};
  }

  status remove(const std::string&, bool remove_logs) override {
    calls.push_back(remove_logs ? "remove+logs" : "remove");
    return ok_status();
  }

  const task::task_logs& logs() const override {
    return logs_;
  }

private:
  task::task_logs logs_{"/nonexistent", {}};
};

// What the fake agent got from the task actor.
struct agent_seen {
  std::vector<pb::TaskStatus> statuses;
  /// Record writes in order: a value, or "" for a removal.
  std::vector<std::string> records;
  /// While true, record writes wait for the test's release_records().
  bool hold_records = false;
  std::vector<caf::typed_response_promise<bool>> held;
};

using agent_seen_ptr = std::shared_ptr<agent_seen>;

// The task actor's owner, plus a cue: (flush_atom) releases the held
// record writes.
using fake_agent_type
  = task::owner_actor_type::extend<caf::reacts_to<flush_atom>>;

fake_agent_type::behavior_type fake_agent(fake_agent_type::pointer self,
                                          agent_seen_ptr seen) {
  return {
    [=](task_status_atom, const std::string&, const pb::TaskStatus& s) {
      seen->statuses.push_back(s);
    },
    [=](task_record_atom, const std::string&,
        const std::string& value) -> caf::result<bool> {
      seen->records.push_back(value);
      if (!seen->hold_records)
        return true;
      auto rp = self->make_response_promise<bool>();
      seen->held.push_back(rp);
      return rp;
    },
    [=](flush_atom) {
      seen->hold_records = false;
      for (auto& rp : std::exchange(seen->held, {}))
        rp.deliver(true);
    },
  };
}

pb::Task make_task(pb::TaskState state, pb::TaskState desired) {
  pb::Task t;
  t.set_id("t1");
  t.set_desired_state(desired);
  t.mutable_status()->set_state(state);
  t.mutable_spec()->mutable_container()->set_image("host");
  t.mutable_spec()->mutable_container()->add_command("/bin/true");
  t.mutable_spec()->mutable_container()->set_stop_grace_period_ns(
    10'000'000'000);
  return t;
}

// One reported status in a line the tests compare: state, message, error,
// exit code, pid, and whether started_at is set.
struct line {
  pb::TaskState state;
  std::string message;
  std::string err;
  int32_t exit_code;
  int32_t pid;
  bool started_at;

  bool operator==(const line& x) const {
    return state == x.state && message == x.message && err == x.err
           && exit_code == x.exit_code && pid == x.pid
           && started_at == x.started_at;
  }
};

std::ostream& operator<<(std::ostream& out, const line& x) {
  return out << pb::TaskState_Name(x.state) << " '" << x.message << "' '"
             << x.err << "' exit=" << x.exit_code << " pid=" << x.pid
             << " started_at=" << x.started_at;
}

struct task_fixture : actor_fixture {
  std::shared_ptr<fake_executor> exec = std::make_shared<fake_executor>();
  agent_seen_ptr seen = std::make_shared<agent_seen>();
  fake_agent_type agent = track(sys.spawn(fake_agent, seen));
  task::task_actor_type task;

  void spawn(const pb::Task& t,
             std::optional<task::process_record> record = std::nullopt) {
    task = track(task::spawn_task_actor(sys, agent, exec, clk, t, record));
    drain();
  }

  void assign(const pb::Task& t) {
    caf::anon_send(task, task_update_atom::value, t);
    drain();
  }

  void exit_with(task::process_exit x) {
    exec->exit_with(x);
    drain();
  }

  void release_records() {
    caf::anon_send(agent, flush_atom::value);
    drain();
  }

  std::vector<line> lines() const {
    std::vector<line> out;
    for (auto& s : seen->statuses)
      out.push_back(line{s.state(), s.message(), s.err(), s.exit_code(),
                         s.pid(), s.started_at_ns() != 0});
    return out;
  }

  bool task_alive() {
    return !task->getf(caf::abstract_actor::is_terminated_flag);
  }
};

const std::string record_value = "4242 77 4242";

task::process_exit exited(int32_t code, int32_t signal = 0) {
  task::process_exit x;
  x.exit_code = code;
  x.signal = signal;
  return x;
}

// The statuses of a start up to RUNNING.
std::vector<line> started_lines() {
  return {
    {pb::PREPARING, "preparing", "", 0, 0, false},
    {pb::READY, "prepared", "", 0, 0, false},
    {pb::STARTING, "starting", "", 0, 0, false},
    {pb::RUNNING, "started", "", 0, fake_pid, true},
  };
}

// A status after the exit of the started process: it keeps the pid and start
// time of RUNNING (task_state_machine: step records pid, start time and exit
// code).
line ended(pb::TaskState state, std::string message, std::string err,
           int32_t exit_code) {
  return {state, std::move(message), std::move(err), exit_code, fake_pid, true};
}

std::vector<line> operator+(std::vector<line> xs, const line& x) {
  xs.push_back(x);
  return xs;
}

} // namespace

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task starts behind its record and completes",
                 "[actor]") {
  spawn(make_task(pb::ASSIGNED, pb::RUNNING));
  CHECK(lines() == started_lines());
  CHECK(seen->records == std::vector<std::string>{record_value});
  CHECK(exec->calls
        == std::vector<std::string>{"prepare", "start", "release", "wait"});
  exit_with(exited(0));
  CHECK(lines() == started_lines() + ended(pb::COMPLETE, "finished", "", 0));
  // The record is forgotten and the cgroup removed (the logs stay).
  CHECK(seen->records == std::vector<std::string>{record_value, ""});
  CHECK(exec->calls.back() == "remove");
  CHECK(task_alive());
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a non-zero exit or a signal fails the task",
                 "[actor]") {
  spawn(make_task(pb::ASSIGNED, pb::RUNNING));
  SECTION("exit code") {
    exit_with(exited(3));
    CHECK(lines()
          == started_lines()
               + ended(pb::FAILED, "failed", "task: non-zero exit (3)", 3));
  }
  SECTION("signal") {
    exit_with(exited(137, 9));
    CHECK(lines()
          == started_lines()
               + ended(pb::FAILED, "failed", "task: non-zero exit (137)", 137));
  }
  SECTION("exec failed after the release") {
    exec->exec_outcome = task::exec_state::failed;
    exec->exec_reason = "task: exec \"/x\": Permission denied";
    exit_with(exited(127));
    CHECK(lines()
          == started_lines()
               + ended(pb::FAILED, "failed",
                       "task: exec \"/x\": Permission denied", 127));
  }
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a spec the runtime refuses rejects the task",
                 "[actor]") {
  exec->prepare_error = fail(errc::unsupported_image, "task: bad image");
  spawn(make_task(pb::ASSIGNED, pb::RUNNING));
  CHECK(lines()
        == std::vector<line>{
          {pb::REJECTED, "rejected", "task: bad image", 0, 0, false}});
  CHECK(exec->calls == std::vector<std::string>{"prepare"});
  CHECK(seen->records.empty());
}

TEST_CASE_METHOD(task_fixture, "task actor: a failed start fails the task",
                 "[actor]") {
  exec->start_error = fail(errc::invalid_spec, "task: exec \"x\": not found");
  spawn(make_task(pb::ASSIGNED, pb::RUNNING));
  CHECK(lines()
        == std::vector<line>{{pb::PREPARING, "preparing", "", 0, 0, false},
                             {pb::READY, "prepared", "", 0, 0, false},
                             {pb::FAILED, "failed",
                              "task: exec \"x\": not found", 0, 0, false}});
  CHECK(exec->calls == std::vector<std::string>{"prepare", "start"});
  CHECK(seen->records.empty());
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task to stop before it started shuts down "
                 "without running",
                 "[actor]") {
  spawn(make_task(pb::ASSIGNED, pb::SHUTDOWN));
  CHECK(lines()
        == std::vector<line>{{pb::SHUTDOWN, "shutdown", "", 0, 0, false}});
  CHECK(exec->calls.empty());
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a running task is stopped with SIGTERM, then "
                 "SIGKILL after its grace period",
                 "[actor]") {
  auto t = make_task(pb::ASSIGNED, pb::RUNNING);
  spawn(t);
  t.set_desired_state(pb::SHUTDOWN);
  t.mutable_status()->set_state(pb::RUNNING);
  assign(t);
  CHECK(exec->calls.back() == "shutdown");
  int32_t code = 0;
  SECTION("it ends on SIGTERM") {
    code = 143;
    exit_with(exited(code, 15));
  }
  SECTION("it ignores SIGTERM") {
    advance(10s);
    CHECK(exec->calls.back() == "terminate");
    code = 137;
    exit_with(exited(code, 9));
  }
  CHECK(lines() == started_lines() + ended(pb::SHUTDOWN, "shutdown", "", code));
  // Another assignment does not stop it twice.
  assign(t);
  CHECK(std::count(exec->calls.begin(), exec->calls.end(), "shutdown") == 1);
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a stop that arrives while the record is written "
                 "stops the gated process",
                 "[actor]") {
  seen->hold_records = true;
  auto t = make_task(pb::ASSIGNED, pb::RUNNING);
  spawn(t);
  CHECK(exec->calls == std::vector<std::string>{"prepare", "start"});
  t.set_desired_state(pb::SHUTDOWN);
  assign(t);
  CHECK(exec->calls.back() == "shutdown");
  release_records();
  CHECK(exec->calls
        == std::vector<std::string>{"prepare", "start", "shutdown", "release",
                                    "wait"});
  exit_with(exited(143, 15));
  CHECK(lines() == started_lines() + ended(pb::SHUTDOWN, "shutdown", "", 143));
  CHECK(std::count(exec->calls.begin(), exec->calls.end(), "shutdown") == 1);
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task no longer assigned stops its process, "
                 "then quits",
                 "[actor]") {
  SECTION("running") {
    spawn(make_task(pb::ASSIGNED, pb::RUNNING));
    caf::anon_send(task, unassign_atom::value);
    drain();
    CHECK(exec->calls.back() == "shutdown");
    CHECK(task_alive());
    exit_with(exited(143, 15));
    CHECK(lines()
          == started_lines() + ended(pb::SHUTDOWN, "shutdown", "", 143));
    CHECK_FALSE(task_alive());
  }
  SECTION("ended") {
    spawn(make_task(pb::ASSIGNED, pb::RUNNING));
    exit_with(exited(0));
    caf::anon_send(task, unassign_atom::value);
    drain();
    CHECK_FALSE(task_alive());
    CHECK(seen->statuses.size() == 5);
  }
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a recorded process is adopted after a restart",
                 "[actor]") {
  task::process_record rec{fake_pid, fake_start_ticks, fake_pid};
  auto adopted
    = line{pb::RUNNING, "adopted after daemon restart", "", 0, fake_pid, true};
  // An unknown end keeps the adoption's pid and start; its code is -1.
  auto unknown = line{pb::FAILED, "failed", task::exit_unknown_text,
                      -1,         fake_pid, true};
  SECTION("alive: it runs on, its end is unknown") {
    spawn(make_task(pb::STARTING, pb::RUNNING), rec);
    CHECK(lines() == std::vector<line>{adopted});
    // Its output waited in its pipe: the pump resumes before the watch.
    CHECK(exec->calls == std::vector<std::string>{"resume-output", "adopt"});
    exit_with(task::process_exit::unknown());
    CHECK(lines() == std::vector<line>{adopted, unknown});
  }
  SECTION("gone") {
    exec->adopt_ok = false;
    spawn(make_task(pb::STARTING, pb::RUNNING), rec);
    CHECK(lines() == std::vector<line>{adopted, unknown});
  }
  SECTION("already running in the store: nothing to report until it ends") {
    spawn(make_task(pb::RUNNING, pb::RUNNING), rec);
    CHECK(lines().empty());
    exit_with(task::process_exit::unknown());
    CHECK(lines()
          == std::vector<line>{
            {pb::FAILED, "failed", task::exit_unknown_text, -1, 0, false}});
  }
  SECTION("to be stopped: it is stopped") {
    spawn(make_task(pb::STARTING, pb::SHUTDOWN), rec);
    CHECK(exec->calls
          == std::vector<std::string>{"resume-output", "adopt", "shutdown"});
    exit_with(task::process_exit::unknown());
    CHECK(lines()
          == std::vector<line>{
            adopted, {pb::SHUTDOWN, "shutdown", "", -1, fake_pid, true}});
  }
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a started task without a record has lost its "
                 "process",
                 "[actor]") {
  auto state = GENERATE(pb::STARTING, pb::RUNNING);
  spawn(make_task(state, pb::RUNNING));
  CHECK(lines()
        == std::vector<line>{
          {pb::FAILED, "failed",
           "task process lost: it was never recorded as started", 0, 0,
           false}});
  CHECK(exec->calls.empty());
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task the manager orphaned still stops its "
                 "process, and reports nothing the store is past",
                 "[actor]") {
  auto t = make_task(pb::ASSIGNED, pb::RUNNING);
  spawn(t);
  t.set_desired_state(pb::SHUTDOWN);
  t.mutable_status()->set_state(pb::ORPHANED);
  assign(t);
  CHECK(exec->calls.back() == "shutdown");
  exit_with(exited(143, 15));
  CHECK(lines() == started_lines());
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task READY before a restart is prepared "
                 "again, then started",
                 "[actor]") {
  spawn(make_task(pb::READY, pb::RUNNING));
  CHECK(exec->calls
        == std::vector<std::string>{"prepare", "start", "release", "wait"});
  CHECK(lines()
        == std::vector<line>{{pb::STARTING, "starting", "", 0, 0, false},
                             {pb::RUNNING, "started", "", 0, fake_pid, true}});
}

namespace {

struct net_seen {
  std::vector<std::string> calls;
  bool refuse = false;
};

using net_seen_ptr = std::shared_ptr<net_seen>;

network::network_actor_type::behavior_type fake_network(net_seen_ptr seen) {
  return {
    [=](net_assign_atom, const pb::Assignments&) {
      seen->calls.push_back("assign");
    },
    [=](net_prepare_atom, const pb::Task& t) -> caf::result<std::string> {
      seen->calls.push_back("prepare " + t.id());
      if (seen->refuse)
        return make_error(errc::not_found, "network app is not assigned");
      return "/netns/t-" + t.id();
    },
    [=](net_release_atom, const std::string& id) {
      seen->calls.push_back("release " + id);
    },
    [=](net_refresh_atom) {},
  };
}

pb::Task net_task(pb::TaskState state, pb::TaskState desired) {
  auto t = make_task(state, desired);
  auto& a = *t.add_networks();
  a.set_network_id("app");
  a.add_addresses("10.0.1.5/24");
  return t;
}

} // namespace

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task on a network starts in the namespace the "
                 "network actor prepared and releases it after its exit",
                 "[actor]") {
  auto ns = std::make_shared<net_seen>();
  auto net = track(sys.spawn(fake_network, ns));
  task = track(task::spawn_task_actor(sys, agent, exec, clk,
                                      net_task(pb::ASSIGNED, pb::RUNNING),
                                      std::nullopt, net));
  drain();
  CHECK(lines() == started_lines());
  CHECK(ns->calls == std::vector<std::string>{"prepare t1"});
  CHECK(exec->netns_paths == std::vector<std::string>{"/netns/t-t1"});
  exit_with(exited(0));
  CHECK(ns->calls == std::vector<std::string>{"prepare t1", "release t1"});
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a refused network fails the task before its "
                 "process starts",
                 "[actor]") {
  auto ns = std::make_shared<net_seen>();
  ns->refuse = true;
  auto net = track(sys.spawn(fake_network, ns));
  task = track(task::spawn_task_actor(sys, agent, exec, clk,
                                      net_task(pb::ASSIGNED, pb::RUNNING),
                                      std::nullopt, net));
  drain();
  CHECK(exec->netns_paths.empty());
  REQUIRE_FALSE(seen->statuses.empty());
  CHECK(seen->statuses.back().state() == pb::FAILED);
  CHECK(seen->statuses.back().err() == "network app is not assigned");
}

TEST_CASE_METHOD(task_fixture,
                 "task actor: a task without networks never asks the network "
                 "actor",
                 "[actor]") {
  auto ns = std::make_shared<net_seen>();
  auto net = track(sys.spawn(fake_network, ns));
  task = track(task::spawn_task_actor(sys, agent, exec, clk,
                                      make_task(pb::ASSIGNED, pb::RUNNING),
                                      std::nullopt, net));
  drain();
  CHECK(lines() == started_lines());
  CHECK(ns->calls.empty());
  CHECK(exec->netns_paths == std::vector<std::string>{""});
}

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
