#pragma once

// Which services need a reconcile (SwarmKit replicated.go / global.go: mark
// services dirty on store events, reconcile each dirty service once per
// commit). The glue feeds every applied StoreAction to observe(), then calls
// take() after the commit and reconciles each id it returns (a service the
// store no longer has is reconciled as deleted). Restart delays become
// timers here: schedule() the wakeups reconcile returns, and fire_due() when
// the glue's delayed_send arrives. Pure: no clock, no CAF.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "messages/store.pb.h"

namespace actorswarm::orchestrator {

/// Dirty services, plus the indexes needed to turn node and task events into
/// service ids. Memory: one entry per known service and per known task.
class dirty_set {
public:
  /// Records one applied store action. Service events mark that service;
  /// task events mark the task's service; node events mark every global
  /// service and every service with a task on that node; cluster events
  /// (history limit) mark every known service.
  void observe(const pb::StoreAction& x);

  /// Marks `service_id` dirty.
  void mark(const std::string& service_id);

  /// Marks every known service dirty (leader start, cluster change).
  void mark_all();

  /// True when nothing is dirty.
  bool empty() const noexcept {
    return dirty_.empty();
  }

  /// Returns the dirty service ids in ascending order and clears them.
  std::vector<std::string> take();

  /// Asks for `service_id` to be reconciled at `at_ns` (ns since the epoch).
  /// Keeps only the earliest request per service.
  void schedule(const std::string& service_id, int64_t at_ns);

  /// Earliest scheduled time, if any: when the glue's timer should fire.
  std::optional<int64_t> next_timer_ns() const;

  /// Marks dirty every service whose time has come (at_ns <= now_ns) and
  /// drops those timers. Returns how many fired.
  size_t fire_due(int64_t now_ns);

  /// Number of services known (created and not yet removed).
  size_t known_services() const noexcept {
    return global_.size();
  }

private:
  // -- member types -----------------------------------------------------------

  struct task_entry {
    std::string service_id;
    std::string node_id;
  };

  // -- helpers ----------------------------------------------------------------

  void observe_service(pb::StoreAction::Kind kind, const pb::Service& x);
  void observe_task(pb::StoreAction::Kind kind, const pb::Task& x);
  void observe_node(const std::string& node_id);
  void unlink_task(const std::string& task_id);

  // -- member variables -------------------------------------------------------

  std::set<std::string> dirty_;
  /// Known services: id -> true when GLOBAL.
  std::map<std::string, bool> global_;
  std::map<std::string, task_entry> tasks_;
  /// node id -> service id -> number of its tasks on that node.
  std::map<std::string, std::map<std::string, size_t>> by_node_;
  std::map<std::string, int64_t> timers_;
};

} // namespace actorswarm::orchestrator
