#pragma once

// Convergence tracking and progress display for `service create` / `scale`
// without --detach, after docker's cli/command/service/progress: one line per
// slot (`1/3: running   [=====...>]`), `overall progress: 2 out of 3 tasks`,
// `verify: Service converged`. Pure: tasks and a monotonic `now_ns` come in,
// decisions and text go out.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "messages/objects.pb.h"

namespace actorswarm::cli::output {

/// One slot's (or, global, one node's) line.
struct progress_line {
  std::string label;   ///< "1/3" or a 12-char node id
  std::string state;   ///< "running", "pending", ...; "" when no task yet
  int step = 0;        ///< docker's numbered state, 0..progress_steps
  std::string message; ///< the task's err, shown instead of the bar
};

/// Docker's maxProgress: running is step 9.
constexpr int progress_steps = 9;

/// docker's progress bar for `step` of progress_steps:
/// `[` + '=' * (percent/2) + '>' + ' ' * (50 - percent/2) + `]`.
std::string progress_bar(int step);

/// Text of one line: `1/3: running   [===>  ]` (state padded to 9), or
/// `1/3: <message>`; without `bar`, `1/3: running`.
std::string render_line(const progress_line& l, bool bar);

/// Whether a task runs the service's current spec (update progress). A task
/// it refuses never counts nor shows, but still names its node's line
/// (global): a node whose task is not updated yet is not running the
/// service's current spec.
using task_filter = std::function<bool(const pb::Task&)>;

/// Follows one service's tasks across polls and decides convergence. A
/// running task with a health check counts once it is healthy (shown as
/// `starting` until then), as docker's running means healthy.
class convergence_tracker {
public:
  /// `replicas` is ignored for global services. A task pending with an err
  /// for `pending_err_ns`, or `failures_max` new failed tasks in one slot,
  /// make the service fail to converge.
  convergence_tracker(bool global, uint64_t replicas, int64_t pending_err_ns,
                      uint32_t failures_max);

  /// Feeds the service's tasks as of `now_ns` (monotonic); with `current`,
  /// only the tasks it accepts show, count and fail.
  void observe(const std::vector<pb::Task>& tasks, int64_t now_ns,
               const task_filter& current = {});

  /// True once every slot (each node, global) runs its task.
  bool converged() const {
    return converged_;
  }

  /// Why the service cannot converge (`1/3: no suitable node (...)`);
  /// empty while it still may.
  const std::string& failure() const {
    return failure_;
  }

  /// Tasks running and tasks wanted, for `overall progress: R out of T`.
  uint64_t running() const {
    return running_;
  }
  uint64_t total() const {
    return lines_.size();
  }

  /// One line per slot, in slot (or node id) order.
  const std::vector<progress_line>& lines() const {
    return lines_;
  }

private:
  void check_failures(const std::vector<pb::Task>& tasks, int64_t now_ns,
                      const task_filter& current);

  bool global_;
  uint64_t replicas_;
  int64_t pending_err_ns_;
  uint32_t failures_max_;
  bool first_ = true;
  int64_t start_ns_ = 0;
  std::set<std::string> old_failed_;                 // failed before we began
  std::map<std::string, int64_t> pending_err_since_; // task id -> first seen
  std::vector<progress_line> lines_;
  uint64_t running_ = 0;
  bool converged_ = false;
  std::string failure_;
};

/// Turns successive tracker states into terminal output. On a TTY it redraws
/// the block in place (cursor up + clear line); otherwise it prints only the
/// lines that changed since the last frame, with no bars or escapes.
class progress_printer {
public:
  explicit progress_printer(bool tty) : tty_(tty) {
    // nop
  }

  /// Text to write for the tracker's current state.
  std::string frame(const convergence_tracker& t);

  /// Text to write for `rows` (key, line): all of them redrawn on a TTY,
  /// else those whose line changed since the last frame.
  std::string
  frame(const std::vector<std::pair<std::string, std::string>>& rows);

  bool tty() const {
    return tty_;
  }

private:
  bool tty_;
  size_t drawn_lines_ = 0;
  std::map<std::string, std::string> last_; // label -> last printed line
};

} // namespace actorswarm::cli::output
