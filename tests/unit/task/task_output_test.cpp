#include <catch2/catch.hpp>

#include "actors/task/process_executor.hpp"
#include "task_test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <set>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

// Issue #9, defect 6: task output is bounded as it is written. Before the
// output pump, a task's stdout was its log file and a `yes` task filled the
// disk between two maintenance passes.

using namespace actorswarm;
using namespace actorswarm::task;
using namespace actorswarm::task::test;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

process_executor_config config(const std::string& dir, uint64_t size_max,
                               uint32_t files_max) {
  process_executor_config cfg;
  cfg.tasks_dir = dir + "/tasks";
  cfg.use_cgroups = false;
  cfg.logs.log_size_max_bytes = size_max;
  cfg.logs.log_files_max = files_max;
  return cfg;
}

// The bound, checked by name: only `output.log` and `output.log.1` .. `.k`
// (k = files_max - 1) exist, none larger than `cap`. Returns their bytes. (A
// sum over a directory being rotated could count one renamed file twice.)
uint64_t check_bound(const std::string& task_dir, uint64_t cap,
                     uint32_t files_max) {
  // The index (and its rewrite, renamed into place) and the FIFO.
  std::set<std::string> allowed{"output.log", "output.log.idx",
                                "output.log.idx.tmp", "output.pipe"};
  for (uint32_t k = 1; k < files_max; ++k)
    allowed.insert("output.log." + std::to_string(k));
  uint64_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator i(task_dir, ec), end; !ec && i != end;
       i.increment(ec)) {
    auto name = i->path().filename().string();
    INFO("file " << name);
    REQUIRE(allowed.count(name) == 1);
    if (name.rfind("output.log.idx", 0) == 0 || name == "output.pipe")
      continue;
    struct stat st {};
    if (::stat(i->path().c_str(), &st) != 0)
      continue; // renamed meanwhile
    REQUIRE(static_cast<uint64_t>(st.st_size) <= cap);
    n += static_cast<uint64_t>(st.st_size);
  }
  return n;
}

// Rotations seen through inotify: `output.log` renamed to `output.log.1`.
struct rotation_watch {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  explicit rotation_watch(const std::string& dir, uint32_t mask = IN_MOVED_TO) {
    REQUIRE(fd >= 0);
    REQUIRE(::inotify_add_watch(fd, dir.c_str(), mask) >= 0);
  }
  ~rotation_watch() {
    ::close(fd);
  }
  // Waits (at most `timeout_ms`) for events; returns the rotations seen
  // (events on other names are only waited for).
  int wait(int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1)
      return 0;
    alignas(inotify_event) char buf[4096];
    int rotations = 0;
    for (int i = 0; i < 64; ++i) {
      auto n = ::read(fd, buf, sizeof(buf));
      if (n <= 0)
        break;
      for (ssize_t off = 0; off < n;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        if ((ev->mask & IN_MOVED_TO) != 0 && ev->len > 0
            && std::string(ev->name) == "output.log.1")
          ++rotations;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    return rotations;
  }
};

started_process start(process_executor& exec, const pb::Task& t) {
  REQUIRE(exec.prepare(t).ok());
  auto proc = exec.start(t);
  REQUIRE(proc.ok());
  return std::move(*proc);
}

} // namespace

TEST_CASE("a yes task never has more than cap times files of logs on disk, "
          "and its newest lines are kept",
          "[unit]") {
  constexpr uint64_t cap = 256 * 1024;
  temp_dir dir;
  process_watcher watcher{20};
  process_executor exec{config(dir.path, cap, 2), watcher};
  auto t = make_task("yes1", {"yes"});
  auto proc = start(exec, t);
  rotation_watch rotations{exec.logs().task_dir("yes1")};
  exit_waiter w;
  REQUIRE(exec.wait(proc.handle, true, w.callback()));
  REQUIRE(exec.release(proc).ok());
  // Checked at every rotation, until the task wrote 40 times the cap.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  int seen = 0;
  uint64_t most = 0;
  while (seen < 40 && std::chrono::steady_clock::now() < deadline) {
    seen += rotations.wait(1000);
    most = std::max(most, check_bound(exec.logs().task_dir("yes1"), cap, 2));
  }
  INFO("rotations=" << seen << " most=" << most);
  CHECK(seen >= 40);
  // Each rotated file is full to its last line end.
  CHECK(exec.pump().bytes_pumped() >= 39 * cap);
  REQUIRE(exec.terminate(proc.handle).ok());
  REQUIRE(w.wait());
  CHECK(exec.pump().size() == 0);
  CHECK(check_bound(exec.logs().task_dir("yes1"), cap, 2) <= 2 * cap);
  auto last = exec.logs().tail("yes1", 3, 0);
  REQUIRE(last.ok());
  REQUIRE(last->size() == 3);
  CHECK((*last)[0].text == "y");
  CHECK((*last)[1].text == "y");
}

TEST_CASE("a task outlives the output pump and its output resumes after a "
          "restart, nothing lost",
          "[unit]") {
  temp_dir dir;
  auto cfg = config(dir.path, 64 * 1024 * 1024, 2);
  auto go = dir.path + "/go";
  REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
  // Part 1, then wait for the test, then 1.9 MB: more than the pipe holds.
  auto t = make_task("r1", {"/bin/sh", "-c",
                            "seq 1 50000; cat " + go + "; seq 50001 300000"});
  process_handle h;
  {
    // The first "daemon": starts the task, then goes away.
    process_watcher watcher{20};
    process_executor exec{cfg, watcher};
    auto proc = start(exec, t);
    REQUIRE(exec.release(proc).ok());
    h = proc.handle;
    task_logs logs{cfg.tasks_dir, cfg.logs};
    auto part1 = [&] {
      auto last = logs.tail("r1", 1, 0);
      return last && !last->empty() && last->back().text == "50000";
    };
    auto deadline = std::chrono::steady_clock::now() + 10s;
    rotation_watch writes{logs.task_dir("r1"), IN_MODIFY};
    while (!part1() && std::chrono::steady_clock::now() < deadline)
      writes.wait(100);
    REQUIRE(part1());
  }
  // No pump now: the task goes on into its pipe (no SIGPIPE: it holds a
  // reader itself) and blocks once the pipe is full.
  int go_fd = ::open(go.c_str(), O_WRONLY);
  REQUIRE(go_fd >= 0);
  ::close(go_fd);
  REQUIRE(alive_with_start_time(h.pid, h.start_time_ticks));
  // The second "daemon" adopts the task and resumes its output.
  process_watcher watcher{20};
  process_executor exec{cfg, watcher};
  exit_waiter w;
  exec.resume_output("r1", h);
  REQUIRE(exec.adopt(h, w.callback()));
  REQUIRE(w.wait(30s));
  auto all = exec.logs().tail("r1", all_lines, 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 300000);
  size_t in_order = 0;
  while (in_order < all->size()
         && (*all)[in_order].text == std::to_string(in_order + 1))
    ++in_order;
  CHECK(in_order == 300000);
}

TEST_CASE("output written just before the exit is in the log when the exit "
          "is reported",
          "[unit]") {
  temp_dir dir;
  process_watcher watcher{20};
  process_executor exec{config(dir.path, 1 << 20, 2), watcher};
  auto t = make_task("e1", {"/bin/sh", "-c", "seq 1 20000; exit 4"});
  auto proc = start(exec, t);
  exit_waiter w;
  REQUIRE(exec.wait(proc.handle, true, w.callback()));
  REQUIRE(exec.release(proc).ok());
  auto info = w.wait();
  REQUIRE(info);
  CHECK(info->exit_code == 4);
  auto last = exec.logs().tail("e1", 1, 0);
  REQUIRE(last.ok());
  REQUIRE(last->size() == 1);
  CHECK(last->back().text == "20000");
  CHECK(exec.pump().size() == 0);
}
