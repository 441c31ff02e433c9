#include <catch2/catch.hpp>

#include "actors/task/process_executor.hpp"
#include "task_test_support.hpp"

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;

namespace {

process_executor_config gate_config(const std::string& dir,
                                    const std::string& gate_path) {
  process_executor_config cfg;
  cfg.tasks_dir = dir + "/tasks";
  cfg.use_cgroups = false;
  cfg.gate_path = gate_path;
  return cfg;
}

std::string exe_of(pid_t pid) {
  char buf[4096] = {};
  auto n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf,
                      sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size()
         && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Bounded (poll's timeout): until the exec-error pipe reports an outcome.
exec_state await_exec(process_executor& exec, started_process& proc) {
  pollfd p{proc.err_fd(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);
  std::string reason;
  return exec.exec_result(proc, reason);
}

} // namespace

TEST_CASE("tasks start through actorswarm-gate next to the executable and "
          "keep their pid, start time and group",
          "[unit]") {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor exec{gate_config(dir.path, ""), watcher};
  exit_waiter w;
  auto t = make_task("g1", {"/bin/sleep", "100"});
  REQUIRE(exec.prepare(t).ok());
  auto proc = exec.start(t);
  REQUIRE(proc.ok());
  REQUIRE(exec.wait(proc->handle, true, w.callback()));
  auto pid = proc->handle.pid;
  CHECK(ends_with(exe_of(pid), "/actorswarm-gate"));
  CHECK(::getpgid(pid) == pid);
  CHECK(proc->handle.pgid == pid);
  REQUIRE(exec.release(*proc).ok());
  CHECK(await_exec(exec, *proc) == exec_state::running);
  CHECK(ends_with(exe_of(pid), "/sleep"));
  CHECK(alive_with_start_time(pid, proc->handle.start_time_ticks));
  REQUIRE(exec.terminate(proc->handle).ok());
  REQUIRE(w.wait());
  CHECK(w.info->signal == SIGKILL);
}

TEST_CASE("a task gets an empty signal mask, default signals and only fds "
          "0-2, whichever way it is spawned",
          "[unit]") {
  temp_dir dir;
  auto gate = GENERATE(std::string(""), std::string("/nonexistent/gate"));
  process_watcher watcher{20};
  process_executor exec{gate_config(dir.path, gate), watcher};
  // The daemon blocks and ignores signals; none of that reaches a task.
  sigset_t usr1;
  sigset_t old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &usr1, &old_mask) == 0);
  auto old_usr2 = ::signal(SIGUSR2, SIG_IGN);
  int leak = ::open("/dev/null", O_RDONLY); // no O_CLOEXEC on purpose
  exit_waiter w1;
  exit_waiter w2;
  auto t1 = make_task("s1", {"/bin/sh", "-c",
                             "grep -E '^Sig(Blk|Ign)' /proc/self/status"});
  auto t2 = make_task("s2", {"/bin/ls", "/proc/self/fd"});
  std::vector<started_process> procs;
  for (auto* t : {&t1, &t2}) {
    REQUIRE(exec.prepare(*t).ok());
    auto proc = exec.start(*t);
    REQUIRE(proc.ok());
    procs.push_back(std::move(*proc));
  }
  ::close(leak);
  ::signal(SIGUSR2, old_usr2);
  REQUIRE(pthread_sigmask(SIG_SETMASK, &old_mask, nullptr) == 0);
  CHECK(ends_with(exe_of(procs[0].handle.pid), "/actorswarm-gate")
        == gate.empty());
  REQUIRE(exec.wait(procs[0].handle, true, w1.callback()));
  REQUIRE(exec.wait(procs[1].handle, true, w2.callback()));
  REQUIRE(exec.release(procs[0]).ok());
  REQUIRE(exec.release(procs[1]).ok());
  REQUIRE(w1.wait());
  REQUIRE(w2.wait());
  CHECK(w1.info->exit_code == 0);
  CHECK(read_all(exec.logs().log_path("s1"))
        == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  // fd 3 is ls's own handle on the directory.
  CHECK(read_all(exec.logs().log_path("s2")) == "0\n1\n2\n3\n");
}

TEST_CASE("without the gate program tasks are forked, with the same exec "
          "errors",
          "[unit]") {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor exec{gate_config(dir.path, dir.path + "/no-gate"), watcher};
  exit_waiter w;
  auto t = make_task("f1", {"/nonexistent/foo"});
  REQUIRE(exec.prepare(t).ok());
  auto proc = exec.start(t);
  REQUIRE(proc.ok());
  CHECK_FALSE(ends_with(exe_of(proc->handle.pid), "/actorswarm-gate"));
  REQUIRE(exec.wait(proc->handle, true, w.callback()));
  REQUIRE(exec.release(*proc).ok());
  REQUIRE(w.wait());
  CHECK(w.info->exit_code == 127);
  std::string reason;
  CHECK(exec.exec_result(*proc, reason) == exec_state::failed);
  CHECK(reason == "task: exec \"/nonexistent/foo\": No such file or directory");
}
