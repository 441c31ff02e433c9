#pragma once

// Restart supervision (SwarmKit manager/orchestrator/restart/restart.go):
// whether and when a task that reached a terminal state while still desired
// RUNNING gets a replacement. The decision is a pure function of the task
// (its spec carries the restart policy), the remembered restarts of its
// instance and `now_ns`; restart_tracker is that memory. Like SwarmKit's, the
// memory lives only on the leader: a new leader starts with none, so an
// instance that gave up gets one more chance after a leader change.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <tuple>

#include "messages/objects.pb.h"

namespace actorswarm::orchestrator {

/// One task instance: service and slot (replicated) or service and node
/// (global, slot 0).
struct restart_key {
  std::string service_id;
  uint64_t slot = 0;
  std::string node_id;

  friend bool operator<(const restart_key& x, const restart_key& y) {
    return std::tie(x.service_id, x.slot, x.node_id)
           < std::tie(y.service_id, y.slot, y.node_id);
  }
};

/// The instance key of `x`: slot for replicated tasks, node for slot 0.
restart_key key_of(const pb::Task& x);

/// What the tracker remembers of one instance.
struct restart_history {
  /// The service spec_version the restarts below were made under; restarts
  /// of older specs do not count (SwarmKit resets on a spec change).
  uint64_t spec_version = 0;

  /// Wall-clock times (ns) of the restarts, ascending, pruned to the policy's
  /// window when one is set.
  std::deque<int64_t> restarts_ns;

  /// Id of the task for which the tracker gave up: it stays given up, even
  /// after old restarts leave the window.
  std::string gave_up_task_id;
};

/// Outcome of decide_restart.
enum class restart_verdict {
  /// Replace the task now.
  now,
  /// Replace it at `restart_decision::at_ns` (the restart delay).
  later,
  /// Never replace it (policy condition or attempts used up).
  never,
};

/// Decision with its reason, for logs and task messages.
struct restart_decision {
  restart_verdict verdict = restart_verdict::never;
  /// For `later`: when the delay runs out, ns since the epoch.
  int64_t at_ns = 0;
  /// True when `never` comes from max_attempts (the tracker then remembers
  /// it for this task).
  bool attempts_exhausted = false;
  /// One line, e.g. "restart condition none".
  std::string reason;
};

/// Number of restarts in `h` that count for `x` at `now_ns`: those of the
/// same spec_version within the policy window (all of them without window).
uint64_t counted_restarts(const pb::Task& x, const restart_history* h,
                          int64_t now_ns);

/// Whether and when to replace `x`, which must be terminal. Condition NONE:
/// never; ON_FAILURE: unless it COMPLETEd with exit code 0; ANY: always.
/// max_attempts (0 = unlimited) counts the restarts in `h` (nullptr: none)
/// within window_ns before `now_ns`. The delay runs from the task's terminal
/// status timestamp. Pure.
restart_decision decide_restart(const pb::Task& x, const restart_history* h,
                                int64_t now_ns);

/// In-memory restart history per instance (leader only, never persisted).
class restart_tracker {
public:
  /// History of `k`, or nullptr.
  const restart_history* find(const restart_key& k) const;

  /// decide_restart for `x` with its instance's history; prunes that history
  /// to the window and remembers when it gives up for lack of attempts.
  restart_decision decide(const pb::Task& x, int64_t now_ns);

  /// Records that `x` was replaced at `now_ns`.
  void record_restart(const pb::Task& x, int64_t now_ns);

  /// Drops everything about `service_id` (service deleted).
  void forget_service(const std::string& service_id);

  /// Number of instances remembered.
  size_t size() const noexcept {
    return by_key_.size();
  }

private:
  // -- member variables -------------------------------------------------------

  std::map<restart_key, restart_history> by_key_;
};

} // namespace actorswarm::orchestrator
