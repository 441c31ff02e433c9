// The task actor: its life cycle driven by assignments and by the fake
// executor's process (start, exit, shutdown, restart of the daemon), and its
// network requests.

#include "actor/task_fixture.hpp"

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
