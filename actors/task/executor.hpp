#pragma once

// The task runtime interface (DESIGN.md, Task runtimes; SwarmKit
// agent/exec/executor.go and controller.go): prepare, start, wait, shutdown,
// terminate, remove, logs. One executor serves all tasks of a node; it keeps
// no per-task state of its own (the task actor holds the started_process),
// so a node with 1,000 tasks costs a few hundred bytes per task. Calls never
// block on a task: start() forks and returns, waiting is a callback from the
// process watcher, and the stop grace period is the caller's timer.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actors/task/process_exit.hpp"
#include "actors/task/task_logs.hpp"
#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::task {

/// What names one task process for ever: the pid plus its start time (a
/// reused pid has another start time). The agent persists it (synced) before
/// release(), so a restarted daemon can adopt the process or know it is gone.
struct process_handle {
  pid_t pid = 0;
  /// /proc/<pid>/stat field 22: clock ticks since boot.
  uint64_t start_time_ticks = 0;
  /// The task's process group (== pid: the task leads its own group).
  pid_t pgid = 0;
};

/// Where start() puts the process, beyond what the task's spec says.
struct start_options {
  /// The network namespace to start it in (the pinned path the network
  /// actor prepared); empty: the daemon's own.
  std::string netns_path;
  /// With a netns_path: the task's hostname, in a UTS namespace of its own
  /// ("": the host's, no UTS namespace).
  std::string hostname;
  /// With a netns_path: the text of the task's /etc/resolv.conf (written to
  /// its task directory and bound there in a mount namespace of its own);
  /// "": the host's file, no mount namespace.
  std::string resolv_conf;
};

/// A process forked by start(), blocked at its start gate until release().
/// Move-only: it owns the gate and the exec-error pipe; destroying it before
/// release() closes the gate, so the child exits without exec.
class started_process {
public:
  started_process() = default;
  started_process(process_handle h, int gate_fd, int err_fd)
    : handle(h), gate_fd_(gate_fd), err_fd_(err_fd) {
    // nop
  }
  started_process(started_process&& other) noexcept;
  started_process& operator=(started_process&& other) noexcept;
  started_process(const started_process&) = delete;
  started_process& operator=(const started_process&) = delete;
  ~started_process();

  /// pid, start time and group of the process.
  process_handle handle;

  /// Closes the gate without releasing it: the child exits (127) unexecuted.
  void abort_gate();

  /// The gate's write end, -1 after release() or abort_gate().
  int gate_fd() const {
    return gate_fd_;
  }

  /// The exec-error pipe's read end, -1 once the exec outcome is known.
  int err_fd() const {
    return err_fd_;
  }

  /// Closes the exec-error pipe / the gate (the executor uses these).
  void close_err();
  void close_gate();

  /// For error texts: the resolved program path, the working directory and
  /// the spec's --user.
  std::string exec_path;
  std::string workdir;
  std::string user;
  /// The task's mounts as "source on target", in the order they are made.
  std::vector<std::string> mounts;

  /// True once release() opened the gate.
  bool released = false;

  /// The exec outcome once known (cached by executor::exec_result).
  uint8_t exec_outcome = 0;
  std::string exec_error;

private:
  int gate_fd_ = -1;
  int err_fd_ = -1;
};

/// Outcome of an exec, known once the child exec'd or failed to.
enum class exec_state : uint8_t {
  /// The child has not reached exec yet (gate closed or still setting up).
  unknown,
  /// exec succeeded: the task's program runs.
  running,
  /// Setup or exec failed; see the reason.
  failed,
};

/// A runtime. Thread-safe: task actors call it concurrently for different
/// tasks. Every method answers at once (no waiting on the task).
class executor {
public:
  virtual ~executor() = default;

  /// Checks the spec (image, command, mounts on this node) and creates the
  /// task's directory, cgroup and named volumes. Returns a warning to log once
  /// ("" if none), or a failure (errc::unsupported_image, errc::invalid_spec,
  /// errc::internal), which rejects the task.
  virtual result<std::string> prepare(const pb::Task& task) = 0;

  /// Forks the task process, blocked at its start gate. The caller records
  /// the handle durably, then calls release(). Fails with the reason if the
  /// command cannot be found, the spec's --user does not exist on this node,
  /// or the fork fails.
  /// `opts.netns_path`: the process enters that network namespace before
  /// it execs (a failure to enter is an exec failure, exec_result()).
  virtual result<started_process>
  start(const pb::Task& task, const start_options& opts) = 0;

  /// start() in the daemon's namespaces.
  result<started_process> start(const pb::Task& task) {
    return start(task, start_options{});
  }

  /// Opens the gate: the child execs. Never blocks.
  virtual status release(started_process& proc) = 0;

  /// The exec outcome so far, with its reason when failed (e.g. `task: exec
  /// "/x": Permission denied`). Never blocks; after the process exited it is
  /// final. Closes the error pipe once the outcome is known.
  virtual exec_state exec_result(started_process& proc, std::string& reason)
    = 0;

  /// Calls `cb` once on the watcher thread when the process ends, after the
  /// output it wrote is in its log files. `is_child`
  /// false for a process adopted after a restart: the exit status is then
  /// unknown. Returns false if the process could not be watched.
  virtual bool wait(const process_handle& proc, bool is_child,
                    std::function<void(process_exit)> cb)
    = 0;

  /// Adopts a process recorded before a daemon restart: true and watching
  /// (exit unknown) if it still lives with the recorded start time, false if
  /// it is gone or the pid was reused (the caller replaces the task).
  virtual bool adopt(const process_handle& proc,
                     std::function<void(process_exit)> cb)
    = 0;

  /// SIGTERM to the task's process group (the caller then starts the stop
  /// grace period timer and calls terminate() when it fires).
  virtual status shutdown(const process_handle& proc) = 0;

  /// SIGKILL to the task's process group.
  virtual status terminate(const process_handle& proc) = 0;

  /// After the exit: removes the task's cgroup, and its logs if
  /// `remove_logs` (the task was removed for good).
  virtual status remove(const std::string& task_id, bool remove_logs) = 0;

  /// The task log files (service logs, the node bound's pass).
  virtual const task_logs& logs() const = 0;

  /// Runs one health probe of `task` (docker's exec of its HEALTHCHECK):
  /// `argv` (argv[0] resolved on the task's PATH) beside the task's process
  /// `proc`, in that process's network, UTS and mount namespaces (entered by
  /// its pid, whichever it has), with the task's env, working directory and
  /// user, output discarded, in a process group of its own. `cb` runs once
  /// on the watcher thread when the probe ends. Returns the probe's handle
  /// (the caller kills its group with terminate() at the timeout), or a
  /// failure (the probe counts as failed). The default, for runtimes without
  /// probes: a failure.
  virtual result<process_handle> probe(const pb::Task& task,
                                       const process_handle& proc,
                                       const std::vector<std::string>& argv,
                                       std::function<void(process_exit)> cb) {
    static_cast<void>(task);
    static_cast<void>(proc);
    static_cast<void>(argv);
    static_cast<void>(cb);
    return fail(errc::internal, "task: this runtime runs no health checks");
  }

  /// After a daemon restart, before adopt(): resumes draining the output of
  /// the task's process (it waited in the process's pipe meanwhile). The
  /// default, for runtimes without output pipes, does nothing.
  virtual void resume_output(const std::string& task_id,
                             const process_handle& proc) {
    static_cast<void>(task_id);
    static_cast<void>(proc);
  }
};

} // namespace actorswarm::task
