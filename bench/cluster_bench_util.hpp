#pragma once

// Helpers for bench/cluster_bench.cpp (header only: every bench/*.cpp becomes
// its own executable). Processes, /proc readings and control-socket queries;
// every wait is bounded in time.

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/control_client.hpp"

extern char** environ;

namespace actorswarm::bench {

using steady = std::chrono::steady_clock;

/// Set by SIGINT/SIGTERM; every wait loop gives up when it is set.
inline std::atomic<bool> stop_requested{false};

/// Milliseconds since `t0` on the steady clock.
inline double ms_since(steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(steady::now() - t0).count();
}

/// Sleeps `ms` milliseconds (benchmarks may sleep; actors may not).
inline void sleep_ms(double ms) {
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms));
}

/// The `p`-th percentile (0..100, nearest rank) of `v`; 0 when empty.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()));
  return v[std::min(rank, v.size() - 1)];
}

/// Prints one figure as `name value unit` on stdout.
inline void figure(const std::string& name, double value,
                   const std::string& unit) {
  std::printf("%s %.3f %s\n", name.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

/// Prints a progress line `# ...` on stderr.
inline void progress(const std::string& text) {
  std::fprintf(stderr, "# %s\n", text.c_str());
}

/// A loopback TCP port that was free a moment ago; 0 on failure.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  ::close(fd);
  return port;
}

/// Starts `argv` with stdin from /dev/null and stdout+stderr appended to
/// `out_path`; returns its pid or -1.
inline pid_t spawn(const std::vector<std::string>& argv,
                   const std::string& out_path) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

/// Waits at most `timeout_ms` for child `pid`; returns its exit code, 128 +
/// signal, or -1 after killing it (SIGKILL) on timeout.
inline int wait_child(pid_t pid, double timeout_ms) {
  auto t0 = steady::now();
  int st = 0;
  while (true) {
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0)
      return -1;
    if (ms_since(t0) > timeout_ms) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      return -1;
    }
    sleep_ms(0.2);
  }
}

/// Runs `argv` to completion (output to `out_path`), at most `timeout_ms`.
inline int run(const std::vector<std::string>& argv,
               const std::string& out_path, double timeout_ms = 30'000) {
  pid_t pid = spawn(argv, out_path);
  return pid < 0 ? -1 : wait_child(pid, timeout_ms);
}

/// A field of /proc/<pid>/status in kB (VmRSS, VmHWM, ...), or -1.
inline long status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, field.size() + 1, field + ":") == 0)
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  return -1;
}

/// Names of the entries of directory `path` (no "." / "..").
inline std::vector<std::string> dir_entries(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(path.c_str())) {
    while (auto* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

/// One live task process: its pid and ACTORSWARM_TASK_ID.
struct task_proc {
  pid_t pid = 0;
  std::string task_id;
};

/// True while `pid` exists and is not a zombie.
inline bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!std::getline(in, all))
    return false;
  auto close = all.rfind(')');
  return close != std::string::npos && close + 2 < all.size()
         && all[close + 2] != 'Z';
}

/// Live processes whose environment holds ACTORSWARM_TASK_ID=<id> for a task
/// dir under `data_dir`/tasks (found by scanning /proc, as an operator would).
inline std::vector<task_proc> task_processes(const std::string& data_dir) {
  auto ids_v = dir_entries(data_dir + "/tasks");
  std::set<std::string> ids(ids_v.begin(), ids_v.end());
  static const std::string key = "ACTORSWARM_TASK_ID=";
  std::vector<task_proc> out;
  for (auto& name : dir_entries("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in("/proc/" + name + "/environ", std::ios::binary);
    std::string var;
    while (std::getline(in, var, '\0')) {
      if (var.compare(0, key.size(), key) != 0)
        continue;
      auto id = var.substr(key.size());
      auto pid = static_cast<pid_t>(std::stol(name));
      if (ids.count(id) > 0 && alive(pid))
        out.push_back({pid, id});
      break;
    }
  }
  return out;
}

/// One control call to `socket_path`; fills `reply` with the (last) reply.
/// False when the call failed or the daemon answered with an error.
inline bool control(const std::string& socket_path,
                    const pb::ControlRequest& req, pb::ControlReply& reply,
                    int timeout_ms = 5'000) {
  auto res = net::control_call(
    socket_path, req,
    [&](const pb::ControlReply& r) {
      reply = r;
      return true;
    },
    timeout_ms);
  return res.status == net::call_status::ok && reply.code() == 0;
}

/// RUNNING count of service `name` as `service ls` reports it; -1 when the
/// call failed or the service is not listed.
inline long running_of(const std::string& socket_path,
                       const std::string& name) {
  pb::ControlRequest req;
  req.mutable_service_list();
  pb::ControlReply rep;
  if (!control(socket_path, req, rep))
    return -1;
  for (auto& e : rep.services())
    if (e.service().spec().name() == name)
      return static_cast<long>(e.running());
  return -1;
}

/// Polls `running_of(name)` every `step_ms` until it reaches `want`; returns
/// the elapsed ms since `t0`, or -1 after `timeout_ms` or on a stop request.
inline double wait_running(const std::string& socket_path,
                           const std::string& name, long want,
                           steady::time_point t0, double step_ms,
                           double timeout_ms) {
  while (!stop_requested && ms_since(t0) < timeout_ms) {
    if (running_of(socket_path, name) == want)
      return ms_since(t0);
    sleep_ms(step_ms);
  }
  return -1;
}

/// Tasks of service `name` (all desired states), as `service ps` lists them.
inline bool tasks_of(const std::string& socket_path, const std::string& name,
                     std::vector<pb::Task>& out) {
  pb::ControlRequest req;
  req.mutable_task_list()->add_service_refs(name);
  pb::ControlReply rep;
  if (!control(socket_path, req, rep))
    return false;
  out.assign(rep.tasks().begin(), rep.tasks().end());
  return true;
}

} // namespace actorswarm::bench
