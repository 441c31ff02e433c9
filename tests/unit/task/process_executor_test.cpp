#include <catch2/catch.hpp>

#include "actors/task/process_executor.hpp"
#include "task_test_support.hpp"

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;
using namespace std::chrono_literals;

namespace {

struct fixture {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor exec{config(dir.path), watcher};

  static process_executor_config config(const std::string& dir) {
    process_executor_config cfg;
    cfg.tasks_dir = dir + "/tasks";
    cfg.cgroups.root = "actorswarm-test-" + std::to_string(::getpid());
    return cfg;
  }

  ~fixture() {
    exec.cgroup_control().remove_root();
  }

  // prepare + start + release + wait; the exit_waiter gets the exit.
  started_process run(const pb::Task& t, exit_waiter& w) {
    auto prep = exec.prepare(t);
    REQUIRE(prep.ok());
    auto proc = exec.start(t);
    REQUIRE(proc.ok());
    REQUIRE(exec.wait(proc->handle, true, w.callback()));
    REQUIRE(exec.release(*proc).ok());
    return std::move(*proc);
  }
};

// Blocks (bounded by poll's timeout) until a line arrives on the FIFO.
std::string read_fifo(int fd) {
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);
  char buf[64] = {};
  auto n = ::read(fd, buf, sizeof(buf) - 1);
  REQUIRE(n > 0);
  return std::string(buf, static_cast<size_t>(n));
}

} // namespace

TEST_CASE_METHOD(fixture,
                 "a task's output goes to its log and its exit code "
                 "is observed",
                 "[unit]") {
  exit_waiter w;
  auto t = make_task("t1", {"/bin/sh", "-c", "echo hi; exit 3"});
  auto proc = run(t, w);
  auto info = w.wait();
  REQUIRE(info);
  CHECK(info->known);
  CHECK(info->exit_code == 3);
  CHECK(info->signal == 0);
  CHECK(read_all(exec.logs().log_path("t1")) == "hi\n");
  std::string reason;
  CHECK(exec.exec_result(proc, reason) == exec_state::running);
  CHECK(proc.err_fd() < 0);
  CHECK(proc.handle.pgid == proc.handle.pid);
  CHECK(proc.handle.start_time_ticks > 0);
}

TEST_CASE_METHOD(fixture, "env and workdir are applied", "[unit]") {
  exit_waiter w;
  std::filesystem::create_directories(dir.path + "/work");
  auto t = make_task("t2",
                     {"sh", "-c", "echo \"$FOO $ACTORSWARM_TASK_ID\"; pwd"},
                     {"FOO=bar", "PATH=/usr/bin:/bin"}, dir.path + "/work");
  auto proc = run(t, w);
  REQUIRE(w.wait());
  CHECK(w.info->exit_code == 0);
  CHECK(read_all(exec.logs().log_path("t2"))
        == "bar t2\n" + dir.path + "/work\n");
  auto env = exec.task_env(t);
  CHECK(std::count(env.begin(), env.end(), "PATH=/usr/bin:/bin") == 1);
  CHECK(std::count_if(env.begin(), env.end(),
                      [](const std::string& x) {
                        return x.rfind("PATH=", 0) == 0;
                      })
        == 1);
}

TEST_CASE_METHOD(fixture, "a closed start gate means the child never execs",
                 "[unit]") {
  exit_waiter w;
  auto marker = dir.path + "/marker";
  auto t = make_task("t3", {"/bin/sh", "-c", "touch " + marker});
  REQUIRE(exec.prepare(t).ok());
  auto proc = exec.start(t);
  REQUIRE(proc.ok());
  REQUIRE(exec.wait(proc->handle, true, w.callback()));
  // The daemon "dies" before the release: its end of the gate closes.
  proc->abort_gate();
  auto info = w.wait();
  REQUIRE(info);
  CHECK(info->exit_code == 127);
  CHECK_FALSE(std::filesystem::exists(marker));
  std::string reason;
  CHECK(exec.exec_result(*proc, reason) == exec_state::unknown);
  CHECK_FALSE(exec.release(*proc).ok());
}

TEST_CASE_METHOD(fixture,
                 "exec and chdir failures come back with a clear "
                 "reason",
                 "[unit]") {
  SECTION("program not on PATH: start() fails at once") {
    auto t = make_task("t4", {"no-such-program-xyz"});
    REQUIRE(exec.prepare(t).ok());
    auto proc = exec.start(t);
    REQUIRE_FALSE(proc.ok());
    CHECK(proc.error().message
          == "task: exec \"no-such-program-xyz\": executable file not found "
             "in $PATH");
  }
  SECTION("exec fails after the release") {
    exit_waiter w;
    auto t = make_task("t5", {"/nonexistent/foo"});
    auto proc = run(t, w);
    REQUIRE(w.wait());
    CHECK(w.info->exit_code == 127);
    std::string reason;
    CHECK(exec.exec_result(proc, reason) == exec_state::failed);
    CHECK(reason
          == "task: exec \"/nonexistent/foo\": No such file or directory");
  }
  SECTION("missing workdir") {
    exit_waiter w;
    auto t = make_task("t6", {"/bin/true"}, {}, "/nonexistent-dir");
    auto proc = run(t, w);
    REQUIRE(w.wait());
    std::string reason;
    CHECK(exec.exec_result(proc, reason) == exec_state::failed);
    CHECK(reason
          == "task: chdir \"/nonexistent-dir\": No such file or directory");
  }
  SECTION("another image is refused") {
    auto t = make_task("t7", {"/bin/true"});
    t.mutable_spec()->mutable_container()->set_image("nginx");
    auto prep = exec.prepare(t);
    REQUIRE_FALSE(prep.ok());
    CHECK(prep.error().code == errc::unsupported_image);
  }
}

TEST_CASE_METHOD(fixture, "shutdown sends SIGTERM, terminate SIGKILL",
                 "[unit]") {
  auto fifo = dir.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(fd >= 0);
  SECTION("a process that traps TERM needs SIGKILL") {
    exit_waiter w;
    auto t = make_task("t8", {"/bin/sh", "-c",
                              "trap '' TERM; echo ready >" + fifo
                                + "; exec sleep 100"});
    auto proc = run(t, w);
    CHECK(read_fifo(fd) == "ready\n");
    REQUIRE(exec.shutdown(proc.handle).ok());
    CHECK_FALSE(w.wait(100ms)); // the grace period: it ignores TERM
    REQUIRE(exec.terminate(proc.handle).ok());
    REQUIRE(w.wait());
    CHECK(w.info->signal == SIGKILL);
    CHECK(w.info->exit_code == 137);
  }
  SECTION("a plain process ends on SIGTERM") {
    exit_waiter w;
    auto t = make_task("t9", {"/bin/sh", "-c",
                              "echo ready >" + fifo + "; exec sleep 100"});
    auto proc = run(t, w);
    CHECK(read_fifo(fd) == "ready\n");
    REQUIRE(exec.shutdown(proc.handle).ok());
    REQUIRE(w.wait());
    CHECK(w.info->signal == SIGTERM);
    CHECK(w.info->exit_code == 143);
  }
  ::close(fd);
  CHECK_FALSE(signal_group(0, SIGTERM).ok());
  CHECK_FALSE(signal_group(1, SIGTERM).ok());
}

TEST_CASE("alive_with_start_time tells a live process from a dead or reused "
          "pid",
          "[unit]") {
  auto self_start = read_start_time(::getpid());
  REQUIRE(self_start > 0);
  CHECK(alive_with_start_time(::getpid(), self_start));
  CHECK_FALSE(alive_with_start_time(::getpid(), self_start + 1));
  CHECK_FALSE(alive_with_start_time(::getpid(), 0));
  pid_t pid = ::fork();
  if (pid == 0)
    _exit(0);
  REQUIRE(pid > 0);
  // Exited but not reaped: a zombie counts as dead.
  siginfo_t si{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT) == 0);
  CHECK(read_start_time(pid) == 0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  CHECK_FALSE(alive_with_start_time(pid, self_start));
}

TEST_CASE("an adopted process is watched through its pidfd and ends with an "
          "unknown status",
          "[unit]") {
  // Double fork: the grandchild is not our child, as after a restart. Done
  // before the watcher exists, so its reaper cannot take the child first.
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  pid_t child = ::fork();
  if (child == 0) {
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::close(p[1]);
      ::execl("/bin/sleep", "sleep", "100", static_cast<char*>(nullptr));
      _exit(127);
    }
    [[maybe_unused]] auto n = ::write(p[1], &grandchild, sizeof(grandchild));
    _exit(0);
  }
  ::close(p[1]);
  pid_t gc = 0;
  REQUIRE(::read(p[0], &gc, sizeof(gc)) == static_cast<ssize_t>(sizeof(gc)));
  ::close(p[0]);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  fixture f;
  auto& exec = f.exec;
  process_handle h{gc, read_start_time(gc), gc};
  REQUIRE(h.start_time_ticks > 0);
  exit_waiter w;
  CHECK_FALSE(exec.adopt(process_handle{gc, h.start_time_ticks + 1, gc},
                         w.callback()));
  REQUIRE(exec.adopt(h, w.callback()));
  REQUIRE(::kill(gc, SIGKILL) == 0);
  auto info = w.wait();
  REQUIRE(info);
  CHECK_FALSE(info->known);
  CHECK(w.calls == 1);
  CHECK(to_string(*info)
        == "exit status unknown (adopted after daemon restart)");
}

TEST_CASE_METHOD(fixture,
                 "a health probe runs beside the task with its env and "
                 "workdir, and reports its exit",
                 "[unit]") {
  auto fifo = dir.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::filesystem::create_directories(dir.path + "/work");
  exit_waiter w;
  auto t = make_task("p1",
                     {"/bin/sh", "-c",
                      "echo ready >" + fifo + "; exec sleep 100"},
                     {"HC=yes"}, dir.path + "/work");
  auto proc = run(t, w);
  CHECK(read_fifo(fd) == "ready\n");
  SECTION("a passing probe") {
    exit_waiter pw;
    auto p = exec.probe(t, proc.handle,
                        {"/bin/sh", "-c",
                         "test \"$HC\" = yes && test \"$(pwd)\" = \"" + dir.path
                           + "/work\""},
                        pw.callback());
    REQUIRE(p.ok());
    CHECK(p->pgid == p->pid);
    REQUIRE(pw.wait());
    CHECK(pw.info->succeeded());
  }
  SECTION("a failing probe, and a missing program") {
    exit_waiter pw;
    auto p = exec.probe(t, proc.handle, {"sh", "-c", "exit 1"}, pw.callback());
    REQUIRE(p.ok());
    REQUIRE(pw.wait());
    CHECK(pw.info->exit_code == 1);
    auto missing = exec.probe(t, proc.handle, {"no-such-check-xyz"}, {});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message
          == "task: exec \"no-such-check-xyz\": executable file not found "
             "in $PATH");
  }
  SECTION("a probe past its timeout is killed with its group") {
    exit_waiter pw;
    auto p = exec.probe(t, proc.handle, {"/bin/sh", "-c", "sleep 100 & wait"},
                        pw.callback());
    REQUIRE(p.ok());
    CHECK_FALSE(pw.wait(50ms));
    REQUIRE(exec.terminate(*p).ok());
    REQUIRE(pw.wait());
    CHECK(pw.info->signal == SIGKILL);
  }
  REQUIRE(exec.terminate(proc.handle).ok());
  REQUIRE(w.wait());
  ::close(fd);
}

TEST_CASE_METHOD(fixture,
                 "a health probe enters the task's network and UTS "
                 "namespaces by its pid",
                 "[unit]") {
  if (::geteuid() != 0) {
    WARN("needs root (namespaces): skipped");
    return;
  }
  auto fifo = dir.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(fd >= 0);
  exit_waiter w;
  // The task makes its own namespaces (as the start gate does), then says
  // it is ready.
  auto t = make_task("p2",
                     {"/usr/bin/unshare", "--net", "--uts", "/bin/sh", "-c",
                      "hostname hc-probe-test && echo ready >" + fifo
                        + " && exec sleep 100"});
  // unshare needs CAP_SYS_ADMIN, which docker's default set has not.
  t.mutable_spec()->mutable_container()->add_capability_add("ALL");
  auto proc = run(t, w);
  CHECK(read_fifo(fd) == "ready\n");
  char link[128] = {};
  auto n = ::readlink(
    ("/proc/" + std::to_string(proc.handle.pid) + "/ns/net").c_str(), link,
    sizeof(link) - 1);
  REQUIRE(n > 0);
  exit_waiter pw;
  auto p = exec.probe(t, proc.handle,
                      {"/bin/sh", "-c",
                       "test \"$(hostname)\" = hc-probe-test && test "
                       "\"$(readlink /proc/self/ns/net)\" = '"
                         + std::string(link) + "'"},
                      pw.callback());
  REQUIRE(p.ok());
  REQUIRE(pw.wait());
  CHECK(pw.info->succeeded());
  REQUIRE(exec.terminate(proc.handle).ok());
  REQUIRE(w.wait());
  ::close(fd);
}
