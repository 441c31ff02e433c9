#pragma once

// Helpers for the process runtime tests: a temp tasks dir, a task builder,
// and a bounded wait for the watcher's exit callback (no sleeps).

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "messages/objects.pb.h"
#include "os/process_watcher.hpp"

namespace actorswarm::task::test {

/// A fresh directory under /tmp, removed again at the end of the test.
struct temp_dir {
  std::string path;
  temp_dir() {
    static int counter = 0;
    path = "/tmp/actorswarm-task-test-" + std::to_string(::getpid()) + "-"
           + std::to_string(++counter);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Collects one process_exit from the watcher thread.
struct exit_waiter {
  std::mutex mtx;
  std::condition_variable cv;
  std::optional<process_exit> info;
  int calls = 0;

  std::function<void(process_exit)> callback() {
    return [this](process_exit x) {
      std::lock_guard<std::mutex> guard{mtx};
      info = x;
      ++calls;
      cv.notify_all();
    };
  }

  /// Waits at most `timeout` for the exit.
  std::optional<process_exit>
  wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, timeout, [this] { return info.has_value(); });
    return info;
  }
};

inline pb::Task make_task(const std::string& id,
                          std::vector<std::string> command,
                          std::vector<std::string> env = {},
                          std::string dir = {}) {
  pb::Task t;
  t.set_id(id);
  auto* c = t.mutable_spec()->mutable_container();
  c->set_image("host");
  for (auto& x : command)
    c->add_command(x);
  for (auto& x : env)
    c->add_env(x);
  c->set_dir(dir);
  return t;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Number of open fds of this process.
inline size_t open_fd_count() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    static_cast<void>(e);
    ++n;
  }
  return n;
}

} // namespace actorswarm::task::test
