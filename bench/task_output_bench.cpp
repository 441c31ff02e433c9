// Issue #9, defect 6: the cost of bounded task output. A `yes` task writes
// for --seconds S (default 2) (1) through its pipe, the daemon's output pump
// and the size-capped, rename-rotated log files (process_executor, default
// 10 MiB x 2), and (2) straight into a file (what the daemon did before:
// unbounded). Prints `name value unit` lines. Files go under --dir (default
// /tmp) and are removed; (2) writes S seconds of output to disk.
//
//   build/task_output_bench [--seconds S] [--dir D]

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "actors/task/process_executor.hpp"

using namespace actorswarm;
using namespace actorswarm::task;

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// (1) Through the pump: bytes per second handed to the log writer.
double through_pump(const std::string& dir, double secs) {
  process_executor_config cfg;
  cfg.tasks_dir = dir + "/tasks";
  cfg.use_cgroups = false;
  process_watcher watcher{20};
  process_executor exec{cfg, watcher};
  pb::Task t;
  t.set_id("bench");
  t.mutable_spec()->mutable_container()->set_image("host");
  t.mutable_spec()->mutable_container()->add_command("yes");
  if (!exec.prepare(t)) {
    std::fprintf(stderr, "prepare failed\n");
    return 0;
  }
  auto proc = exec.start(t);
  if (!proc || !exec.release(*proc)) {
    std::fprintf(stderr, "start failed\n");
    return 0;
  }
  auto t0 = clock_type::now();
  auto b0 = exec.pump().bytes_pumped();
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  double bps = static_cast<double>(exec.pump().bytes_pumped() - b0)
               / seconds_since(t0);
  exec.terminate(proc->handle);
  ::waitpid(proc->handle.pid, nullptr, 0);
  return bps;
}

// (2) Straight into a file, the way tasks wrote before the pump.
double direct_file(const std::string& dir, double secs) {
  auto path = dir + "/direct.log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0640);
  if (fd < 0)
    return 0;
  auto t0 = clock_type::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, 1);
    ::execlp("yes", "yes", static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(fd);
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  double elapsed = seconds_since(t0);
  std::error_code ec;
  auto bytes = fs::file_size(path, ec);
  fs::remove(path, ec);
  return static_cast<double>(bytes) / elapsed;
}

} // namespace

int main(int argc, char** argv) {
  double secs = 2;
  std::string base = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0)
      secs = std::stod(argv[i + 1]);
    else if (std::strcmp(argv[i], "--dir") == 0)
      base = argv[i + 1];
  }
  auto dir = base + "/task-output-bench-" + std::to_string(::getpid());
  fs::create_directories(dir);
  double pump = through_pump(dir, secs);
  double direct = direct_file(dir, secs);
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf("task_output_pump_bytes_per_s %.0f B/s\n", pump);
  std::printf("task_output_direct_file_bytes_per_s %.0f B/s\n", direct);
  std::printf("task_output_pump_vs_direct %.2f x\n",
              direct > 0 ? pump / direct : 0.0);
  return 0;
}
