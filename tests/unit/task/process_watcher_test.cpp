#include <catch2/catch.hpp>

#include "actors/task/process_executor.hpp"
#include "net/process_watcher.hpp"
#include "task_test_support.hpp"

#include <atomic>
#include <csignal>
#include <sys/wait.h>
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
// test can hold() it before it can possibly exit (the reaper runs from the
// watcher's construction on).
std::pair<pid_t, int> fork_gated_exit(int code) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[1]);
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
  net::process_watcher watcher{20};
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
    REQUIRE(exec.wait(proc->handle, true, [&](net::exit_info x) {
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
  // Forked before the watcher exists, so its reaper cannot take them first
  // (the executor's children cannot exit before the caller holds them).
  pid_t pa = fork_exit(7);
  pid_t pb = ::fork();
  if (pb == 0) {
    ::pause();
    _exit(0);
  }
  net::process_watcher watcher{20};
  REQUIRE(watcher.watch(pa, true, a.callback()));
  REQUIRE(watcher.watch(pb, true, b.callback()));
  CHECK_FALSE(watcher.watch(pa, true, a.callback())); // already watched
  REQUIRE(::kill(pb, SIGKILL) == 0);
  REQUIRE(a.wait());
  REQUIRE(b.wait());
  CHECK(a.info->exit_code == 7);
  CHECK(b.info->signal == SIGKILL);
  CHECK(b.info->exit_code == 137);
  CHECK(net::to_string(*b.info) == "killed by signal 9");
  // Both were reaped by the watcher: no zombie is left.
  CHECK(::waitpid(pa, nullptr, WNOHANG) == -1);
  CHECK(::waitpid(pb, nullptr, WNOHANG) == -1);
}

TEST_CASE("the reaper never steals a watched child's status", "[unit]") {
  // Unwatched children exit first; the held one still gets its code.
  net::process_watcher watcher{5};
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

TEST_CASE("unwatch cancels the callback; a gone pid reports at once",
          "[unit]") {
  // No reaper: the test reaps the unwatched child itself.
  net::process_watcher watcher{20, false};
  std::atomic<int> calls{0};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::pause();
    _exit(0);
  }
  REQUIRE(watcher.watch(pid, true, [&](net::exit_info) { ++calls; }));
  watcher.unwatch(pid);
  CHECK(watcher.watched() == 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  CHECK(calls == 0);
  // Now the pid is gone: watching it reports an unknown end.
  exit_waiter w;
  REQUIRE(watcher.watch(pid, false, w.callback()));
  REQUIRE(w.wait());
  CHECK_FALSE(w.info->known);
}

TEST_CASE("100 tasks start, run and are reaped without leaking fds",
          "[unit]") {
  start_many(100);
}

TEST_CASE("1000 tasks start, run and are reaped without leaking fds",
          "[.soak]") {
  start_many(1000);
}
