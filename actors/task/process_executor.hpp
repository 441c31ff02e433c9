#pragma once

// The `process` runtime (image `host`): each task is a host process in its
// own process group, with its env and workdir, stdout and stderr a pipe the
// output pump drains into its size-capped log files (task_logs.hpp), limits
// through cgroups where the host has them.
//
// Crash safety: start() spawns a child (the actorswarm-gate program, or a
// fork of the daemon without it) that sets itself up and then blocks on a
// start gate; the agent records {pid, start time, pgid} durably and calls
// release(), only then does the child exec. If the daemon dies before the
// release, the gate's write end closes and the child exits (127) without
// exec, so no task runs that the daemon has no record of. The output pipe is
// a FIFO in the task directory that the task also holds open for reading, so
// a task outlives the daemon (its output waits in the pipe); after a restart
// the agent adopts it by pid plus start time and resumes its output.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "actors/task/cgroups.hpp"
#include "actors/task/executor.hpp"
#include "actors/task/mounts.hpp"
#include "os/output_pump.hpp"
#include "os/process_watcher.hpp"

namespace actorswarm::task {

/// Settings of the process runtime; defaults in one place (STYLE R11).
struct process_executor_config {
  /// Parent of the task directories (`<data-dir>/tasks` in the daemon).
  std::string tasks_dir;
  /// The daemon's data dir: no --mount target may be in it (nor in
  /// tasks_dir or volumes_dir). Empty: only those two are protected.
  std::string data_dir;
  /// Parent of the named volumes; empty: `<data_dir>/volumes` (named
  /// volumes are refused when both are empty).
  std::string volumes_dir;
  /// Log file size limits.
  log_config logs;
  /// Where per-task cgroups go.
  cgroup_config cgroups;
  /// False: never touch cgroups (limits are then not enforced, no warning).
  bool use_cgroups = true;
  /// Environment every task inherits before its spec's env ("K=V"); empty:
  /// PATH, HOME, LANG, LC_ALL, TZ, USER from the daemon's environment (PATH
  /// with a default when unset).
  std::vector<std::string> base_env;
  /// The `actorswarm-gate` program tasks are spawned through; empty: the
  /// one next to this executable (/proc/self/exe). If it is not an
  /// executable file, tasks are forked from the daemon instead (slower).
  std::string gate_path;
};

/// The image name that selects this runtime.
constexpr const char* host_image = "host";

/// True if `pid` lives (not a zombie) and started at `start_time_ticks`: the
/// adoption test after a restart (a reused pid has another start time).
bool alive_with_start_time(pid_t pid, uint64_t start_time_ticks);

/// Sends `sig` to process group `pgid`. A group that is gone is no error.
/// Refuses pgid <= 1 (0 and -1 would hit the daemon or every process).
status signal_group(pid_t pgid, int sig);

/// The process runtime. Holds no per-task state (see executor.hpp).
class process_executor : public executor {
public:
  /// `watcher` reports exits; it must outlive the executor.
  process_executor(process_executor_config cfg, process_watcher& watcher);

  result<std::string> prepare(const pb::Task& task) override;
  using executor::start;
  result<started_process> start(const pb::Task& task,
                                const start_options& opts) override;
  status release(started_process& proc) override;
  exec_state exec_result(started_process& proc, std::string& reason) override;
  bool wait(const process_handle& proc, bool is_child,
            std::function<void(process_exit)> cb) override;
  bool adopt(const process_handle& proc,
             std::function<void(process_exit)> cb) override;
  status shutdown(const process_handle& proc) override;
  status terminate(const process_handle& proc) override;
  status remove(const std::string& task_id, bool remove_logs) override;
  const task_logs& logs() const override {
    return logs_;
  }
  void resume_output(const std::string& task_id,
                     const process_handle& proc) override;
  result<process_handle> probe(const pb::Task& task, const process_handle& proc,
                               const std::vector<std::string>& argv,
                               std::function<void(process_exit)> cb) override;

  /// The output pump (tests and benchmarks read its counters).
  const output_pump& pump() const {
    return *pump_;
  }

  /// The cgroup helper (tests inspect and clean up through it).
  cgroups& cgroup_control() {
    return cgroups_;
  }

  /// The environment a task gets: base env, then the spec's env, then
  /// ACTORSWARM_TASK_ID=<id>; a later K= replaces an earlier one.
  std::vector<std::string> task_env(const pb::Task& task) const;

  /// Where --mount sources come from and what targets must not cover.
  const mount_config& mounts() const {
    return mounts_;
  }

private:
  process_executor_config cfg_;
  mount_config mounts_;
  process_watcher& watcher_;
  task_logs logs_;
  cgroups cgroups_;
  /// The cgroup warning is returned once per executor, not once per task.
  std::atomic<bool> warned_{false};
  /// The gate program found at construction; empty: fork().
  std::string gate_path_;
  /// Drains every task's output pipe. Shared with the exit callbacks the
  /// watcher holds, so it outlives a callback that runs during destruction.
  std::shared_ptr<output_pump> pump_;
};

} // namespace actorswarm::task
