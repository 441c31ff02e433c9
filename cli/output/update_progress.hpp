#pragma once

// Progress of a rolling update or a rollback for `service update` and
// `service rollback` without --detach, after docker's cli/command/service/
// progress (ServiceProgress with replicatedProgressUpdater and its rollback
// awareness): per-slot lines of the tasks that run the service's current
// spec, `overall progress: N out of M tasks` (`rolling back update: ...`
// while rolling back), `verify: Waiting N seconds to verify that tasks are
// stable...`, `verify: Service converged`, and the end the update orchestrator
// reports in the service's UpdateStatus: paused, rolled back, completed.
// Pure: the service and its tasks as polled, and a monotonic `now_ns`, come
// in; decisions and text go out.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/output/progress.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::cli::output {

/// What an update wait has come to.
enum class update_outcome {
  waiting, ///< poll again
  done,    ///< converged and verified (exit 0)
  failed,  ///< paused, rolled back or stuck: error() says why (exit 1)
};

/// What the wait knows of its request.
struct update_wait_config {
  /// The service name or id the user gave, for error lines.
  std::string ref;
  /// The service's update_status read before the request: a status equal
  /// to it is an earlier update's and is ignored.
  pb::UpdateStatus baseline;
  /// The request was a rollback (`service rollback`, `update --rollback`):
  /// a completed rollback is its success, not a failure.
  bool rollback = false;
  /// `update --force`: the tasks are replaced although their spec stays, so
  /// only tasks of the new spec_version count.
  bool force = false;
  /// As convergence_tracker's: how long a task may stay pending with an
  /// error, and how many new failures one slot may have, before the wait
  /// gives up while no update is in progress.
  int64_t pending_err_ns = 3'000'000'000;
  uint32_t failures_max = 3;
};

/// Follows one update (or rollback) across polls.
///
/// A task counts when it is up (running, and healthy if it has a health
/// check) and up to date: of the service's current spec_version, or (not
/// with --force) with the service's current task spec, as docker's
/// `_up-to-date` filter compares specs (a scale keeps its tasks). Once the
/// orchestrator reports the update completed, any up task counts. While it
/// reports an update or rollback in progress the wait neither ends nor gives
/// up on a failing task: the update's failure action decides.
class update_tracker {
public:
  explicit update_tracker(update_wait_config cfg);

  /// Feeds one poll: the service (`service inspect`) and its tasks.
  void observe(const pb::Service& s, const std::vector<pb::Task>& tasks,
               int64_t now_ns);

  update_outcome outcome() const {
    return outcome_;
  }

  /// The line to print on stderr once failed: docker's `service update
  /// paused: <message>`, `service rollback paused: <message>`, `service
  /// rolled back: <message>`, or `service <ref> cannot converge: <why>`.
  const std::string& error() const {
    return error_;
  }

  /// Whether the wait shows a rollback (`rolling back update: ...`).
  bool rolling_back() const {
    return rollback_;
  }

  /// The rows to draw (key, line): overall progress, one per slot (or
  /// node), `rollback: <why it started>`, `verify: ...`, and after a
  /// verified rollback `rollback: <its completion message>`. `tty` draws
  /// progress bars.
  std::vector<std::pair<std::string, std::string>> rows(bool tty) const;

private:
  void apply_status(const pb::Service& s);
  void verify(int64_t monitor_ns, int64_t now_ns);
  void fail_with(std::string line);

  update_wait_config cfg_;
  update_outcome outcome_ = update_outcome::waiting;
  std::string error_;
  std::optional<convergence_tracker> tracker_;
  bool global_ = false;
  uint64_t replicas_ = 0;
  bool rollback_ = false;
  bool active_ = false;   // the orchestrator reports an update in progress
  bool finished_ = false; // ... or reports it completed
  std::optional<int64_t> converged_at_ns_;
  std::string started_row_; // rollback: why it started
  std::string verify_row_;
  std::string completed_row_; // rollback: its completion message
};

} // namespace actorswarm::cli::output
