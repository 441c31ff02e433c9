#pragma once

// The task state machine (DESIGN.md, Vocabulary; SwarmKit design/task_model.md
// and agent/exec/controller.go). Pure: no IO, no clock, no CAF. The task actor
// asks `next_action` which executor call to make, makes it, turns what the
// executor reported into an `observation`, and `step` hands back the next
// status: one state step per call, as SwarmKit's `Do()`.

#include <cstdint>
#include <string>

#include "actors/task/process_exit.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::task {

/// Who writes a task state: the manager (allocator, scheduler, orchestrators)
/// or the agent of the node that runs the task.
enum class writer : uint8_t { manager, agent };

/// True if `x` is one of the enumerators of pb::TaskState.
bool is_valid_state(pb::TaskState x);

/// True if a task may move from `from` to `to`: both valid and `to` strictly
/// later in SwarmKit's order. A task never moves backwards and never stays
/// (a repeated report is a no-op, not a transition).
bool can_transition(pb::TaskState from, pb::TaskState to);

/// True if `who` may set state `x`. The manager sets NEW, PENDING, ASSIGNED,
/// REMOVE and ORPHANED; the agent sets ACCEPTED through REJECTED.
bool may_set(writer who, pb::TaskState x);

/// True for COMPLETE, SHUTDOWN, FAILED, REJECTED, REMOVE and ORPHANED: no
/// process runs and none will for this task.
bool is_terminal(pb::TaskState x);

/// True for STARTING and RUNNING: the states in which the task's process may
/// exist (it is started, and recorded, on the way from STARTING to RUNNING).
bool may_have_process(pb::TaskState x);

/// Short lower-case name, as `docker service ps` prints it ("running").
const char* state_name(pb::TaskState x);

/// The executor call the task actor makes before the next `step`.
enum class action : uint8_t {
  /// No executor call; `step` moves on by itself (or does nothing).
  none,
  /// executor::prepare: check the spec, create the task's dir, logs, cgroup.
  prepare,
  /// executor::start + release: run the process.
  start,
  /// Wait for the process's exit (the process watcher reports it).
  wait,
  /// executor::shutdown: SIGTERM now, SIGKILL after the stop grace period.
  shutdown,
};

/// Which executor call the state pair (desired, current) needs next.
action next_action(pb::TaskState desired, pb::TaskState current);

/// What the executor reported for the last action.
struct observation {
  enum class kind : uint8_t {
    /// The action completed (prepared, started, shut down).
    done,
    /// Nothing new yet: the process still runs, or a shutdown is under way.
    pending,
    /// The process exited; see exit.
    exited,
    /// The action failed; see err and temporary.
    error,
  };
  kind what = kind::done;
  /// kind::exited: how the process ended (an unknown end, e.g. of a process
  /// adopted after a daemon restart, counts as a failure).
  process_exit exit;
  /// kind::error: the one-line reason, e.g. `task: exec "foo": ...`. With
  /// kind::exited, a non-empty err (exec failed after release) wins over the
  /// generic exit message.
  std::string err;
  /// kind::error: a temporary error keeps the state (retry later).
  bool temporary = false;
  /// kind::done after action::start: the process's pid and start wall time.
  int32_t pid = 0;
  int64_t started_at_ns = 0;
};

/// Result of one step: the new status and whether it differs from the input.
struct step_result {
  pb::TaskStatus status;
  bool changed = false;
};

/// The error text of a failed exit: "task: non-zero exit (N)", or
/// exit_unknown_text when the status is unknown.
std::string exit_error(const process_exit& x);

/// One SwarmKit `Do()` step. `desired` is the manager's desired state,
/// `current` the task's status, `obs` what the executor reported for
/// `next_action(desired, current.state())`; `now_ns` (wall clock) stamps a
/// changed status. Never moves backwards (asserted).
step_result step(pb::TaskState desired, const pb::TaskStatus& current,
                 const observation& obs, int64_t now_ns);

/// A process recorded by an earlier daemon still runs (its pid and start time
/// match): from any state before RUNNING the task is RUNNING again ("adopted
/// after daemon restart", `pid`, started at `now_ns`); from RUNNING on it is
/// unchanged.
step_result adopted(const pb::TaskStatus& current, int32_t pid, int64_t now_ns);

} // namespace actorswarm::task
