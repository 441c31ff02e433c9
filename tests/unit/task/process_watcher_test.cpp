#include <catch2/catch.hpp>

#include "actors/task/process_executor.hpp"
#include "os/process_watcher.hpp"
#include "task_test_support.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;
using namespace std::chrono_literals;

namespace {

pid_t fork_exit(int code) {
  pid_t pid = ::fork();
  if (pid == 0)
    _exit(code);
  return pid;
}

// A child that exits with `code` only once the returned fd is closed, so a
// test decides when it ends: it can hold() or watch() it before it can
// possibly exit (the reaper runs from the watcher's construction on). The
// child keeps no other fd, so it never holds another gated child's gate open.
std::pair<pid_t, int> fork_gated_exit(int code) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    for (int fd = 3; fd < 1024; ++fd)
      if (fd != fds[0])
        ::close(fd);
    char c;
    while (::read(fds[0], &c, 1) > 0) {
    }
    _exit(code);
  }
  ::close(fds[0]);
  return {pid, fds[1]};
}

// Starts `count` gated `/bin/true` tasks, releases them all, waits for every
// exit and removes them; checks fds and watches return to their start values.
void start_many(size_t count) {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor_config cfg;
  cfg.tasks_dir = dir.path;
  cfg.use_cgroups = false;
  process_executor exec{cfg, watcher};
  auto fds_before = open_fd_count();
  std::mutex mtx;
  std::condition_variable cv;
  size_t exited = 0;
  size_t failed = 0;
  std::vector<started_process> procs;
  procs.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    auto t = make_task("m" + std::to_string(i), {"/bin/true"});
    REQUIRE(exec.prepare(t).ok());
    auto proc = exec.start(t);
    REQUIRE(proc.ok());
    REQUIRE(exec.wait(proc->handle, true, [&](process_exit x) {
      std::lock_guard<std::mutex> guard{mtx};
      ++exited;
      failed += x.exit_code != 0 ? 1 : 0;
      cv.notify_all();
    }));
    procs.push_back(std::move(*proc));
  }
  // The agent would sync all handles here, in one batch.
  for (auto& p : procs)
    REQUIRE(exec.release(p).ok());
  {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, 60s, [&] { return exited == count; });
  }
  CHECK(exited == count);
  CHECK(failed == 0);
  std::string reason;
  for (auto& p : procs)
    CHECK(exec.exec_result(p, reason) == exec_state::running);
  procs.clear();
  CHECK(watcher.watched() == 0);
  CHECK(open_fd_count() == fds_before);
}

} // namespace

TEST_CASE("the watcher reports a child's exit code and signal", "[unit]") {
  exit_waiter a;
  exit_waiter b;
  process_watcher watcher{20};
  // Gated: neither child can end before the test has watched it twice (a
  // child that exited at once could be reaped by the first watch before the
  // second one, which would then see a gone pid and report a second time).
  auto [pa, gate_a] = fork_gated_exit(7);
  auto [pb, gate_b] = fork_gated_exit(0);
  REQUIRE(watcher.watch(pa, true, a.callback()));
  REQUIRE(watcher.watch(pb, true, b.callback()));
  CHECK_FALSE(watcher.watch(pa, true, a.callback())); // already watched
  CHECK_FALSE(watcher.watch(pb, true, b.callback()));
  ::close(gate_a);
  REQUIRE(::kill(pb, SIGKILL) == 0);
  REQUIRE(a.wait());
  REQUIRE(b.wait());
  ::close(gate_b);
  CHECK(a.info->known);
  CHECK(a.info->exit_code == 7);
  CHECK(a.info->signal == 0);
  CHECK(b.info->signal == SIGKILL);
  CHECK(b.info->exit_code == 137);
  CHECK(to_string(*b.info) == "killed by signal 9");
  // Each reported once, and both were reaped by the watcher: no zombie.
  CHECK(watcher.watched() == 0);
  CHECK(a.calls == 1);
  CHECK(b.calls == 1);
  CHECK(::waitpid(pa, nullptr, WNOHANG) == -1);
  CHECK(::waitpid(pb, nullptr, WNOHANG) == -1);
}

TEST_CASE("the reaper never steals a watched child's status", "[unit]") {
  // Unwatched children exit first; the held one still gets its code.
  process_watcher watcher{5};
  auto [held, gate] = fork_gated_exit(9);
  watcher.hold(held);
  ::close(gate);
  for (int i = 0; i < 5; ++i)
    REQUIRE(fork_exit(0) > 0);
  exit_waiter w;
  // Wait until the held child has exited, without reaping it.
  siginfo_t si{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(held), &si, WEXITED | WNOWAIT)
          == 0);
  REQUIRE(watcher.watch(held, true, w.callback()));
  REQUIRE(w.wait());
  CHECK(w.info->known);
  CHECK(w.info->exit_code == 9);
}

TEST_CASE("a child that dies before its hold() still reports its code",
          "[unit]") {
  process_watcher watcher{1};
  pid_t pid = 0;
  {
    // As the executor spawns: no reaper runs until the child is held.
    process_watcher::spawn_guard no_reaping;
    pid = fork_exit(5);
    REQUIRE(pid > 0);
    siginfo_t si{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT)
            == 0);
    // Evidence that the watcher thread went round its loop (reaper
    // included) while `pid` was an unheld zombie: it reports one watched
    // child's exit, then another's; each turn ends with the reaper.
    for (int code : {1, 2}) {
      auto [turn, gate] = fork_gated_exit(code);
      exit_waiter w;
      REQUIRE(watcher.watch(turn, true, w.callback()));
      ::close(gate);
      REQUIRE(w.wait());
    }
    watcher.hold(pid);
  }
  exit_waiter w;
  REQUIRE(watcher.watch(pid, true, w.callback()));
  REQUIRE(w.wait());
  CHECK(w.info->known);
  CHECK(w.info->exit_code == 5);
}

TEST_CASE("two watchers in one process never reap each other's children",
          "[unit]") {
  // Two agents in one process (an embedder's nodes) each have a watcher;
  // waitid(P_ALL) is process-wide, yet one's reaper leaves the other's
  // held and watched children alone.
  process_watcher mine{1};
  process_watcher other{1};
  auto [held, gate] = fork_gated_exit(9);
  mine.hold(held);
  ::close(gate);
  siginfo_t si{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(held), &si, WEXITED | WNOWAIT)
          == 0);
  // Evidence that the reapers had their turns while `held` was a zombie: a
  // child forked after that, held by nobody, is reaped.
  pid_t stray = fork_exit(0);
  REQUIRE(stray > 0);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (::kill(stray, 0) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK(::waitpid(stray, nullptr, WNOHANG) == -1);
  exit_waiter w;
  REQUIRE(mine.watch(held, true, w.callback()));
  REQUIRE(w.wait());
  CHECK(w.info->known);
  CHECK(w.info->exit_code == 9);
}

TEST_CASE("unwatch cancels the callback, a gone pid reports at once",
          "[unit]") {
  // No reaper: the test reaps the unwatched child itself.
  process_watcher watcher{20, false};
  std::atomic<int> calls{0};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::pause();
    _exit(0);
  }
  auto start_time = read_start_time(pid);
  REQUIRE(start_time > 0);
  REQUIRE(watcher.watch(pid, true, [&](process_exit) { ++calls; }));
  watcher.unwatch(pid);
  CHECK(watcher.watched() == 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  CHECK(calls == 0);
  // Now the pid is gone: watching it reports an unknown end. With its start
  // time, even if another process got the pid meanwhile.
  exit_waiter w;
  REQUIRE(watcher.watch(pid, false, w.callback(), start_time));
  REQUIRE(w.wait());
  CHECK_FALSE(w.info->known);
}

TEST_CASE("100 tasks start, run and are reaped without leaking fds", "[unit]") {
  start_many(100);
}

TEST_CASE("1000 tasks start, run and are reaped without leaking fds",
          "[.soak]") {
  start_many(1000);
}
