#pragma once

// The task actor under the CAF test coordinator with a fake executor and a
// fake agent: shared by task_actor_test.cpp and task_health_actor_test.cpp.

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
inline line ended(pb::TaskState state, std::string message, std::string err,
                  int32_t exit_code) {
  return {state, std::move(message), std::move(err), exit_code, fake_pid, true};
}

inline std::vector<line> operator+(std::vector<line> xs, const line& x) {
  xs.push_back(x);
  return xs;
}

} // namespace
