#pragma once

// What a rolling update has left to do, read off the store (SwarmKit's
// orchestrator.IsTaskDirty and the updater's slots): which tasks run an
// outdated spec, how a service's tasks group into slots, and what each slot
// needs. Pure: the update engine (update_run.hpp) and the control rules
// call it; no CAF, no clock.

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "messages/objects.pb.h"

namespace actorswarm::update {

/// Looks a node up by id; null when the cluster has no such node.
using node_lookup = std::function<const pb::Node*(const std::string&)>;

/// What outdated() and must_wait_for() need besides the service and task.
struct outdated_context {
  /// The cluster's nodes (a placement change alone does not outdate a task
  /// whose node still satisfies the new constraints). Empty: no node is
  /// known.
  node_lookup node_of;
  /// The ingress network's id (empty: none): a task's attachment there
  /// comes from the endpoint's ports, not from spec.networks.
  std::string ingress_network_id;

  /// node_of(id), or null without a lookup.
  const pb::Node* node(const std::string& id) const {
    return node_of ? node_of(id) : nullptr;
  }
};

/// True when the service's spec changed since `t` was made (its
/// spec_version differs) in a way its task must be replaced for (SwarmKit's
/// IsTaskDirty): the task spec (force_update included), the endpoint spec
/// (once allocated: state >= PENDING) or the networks and aliases it is on.
/// A spec_version change alone (`service scale`, labels) outdates nothing;
/// nor does a placement change alone while the task's node satisfies the
/// new constraints.
bool outdated(const pb::Service& s, const pb::Task& t,
              const outdated_context& ctx);

/// True when going from `before` to `after` changes what the service's
/// tasks run (task spec, endpoint, networks): a rolling update follows.
/// False for changes of name, labels, replicas or the update policies.
bool spec_changes_tasks(const pb::ServiceSpec& before,
                        const pb::ServiceSpec& after);

/// A task is up when it runs and, if it has a health check, is healthy:
/// status RUNNING and health HEALTHY, or health NONE without a health check
/// (a check of test ["NONE"] counts as none).
bool is_up(const pb::Task& t);

/// One slot: a replicated service's slot number (node_id empty) or a global
/// service's node (slot 0).
struct slot_key {
  uint64_t slot = 0;
  std::string node_id;

  friend bool operator<(const slot_key& x, const slot_key& y) {
    return std::tie(x.slot, x.node_id) < std::tie(y.slot, y.node_id);
  }

  friend bool operator==(const slot_key& x, const slot_key& y) {
    return x.slot == y.slot && x.node_id == y.node_id;
  }
};

/// The slot `t` belongs to.
slot_key key_of(const pb::Task& t);

/// A slot's live tasks, sorted newest first in each list. Pointers into the
/// caller's task vector.
struct slot_view {
  slot_key key;
  /// Runnable (desired <= RUNNING, not terminal) and of the current spec.
  std::vector<const pb::Task*> fresh;
  /// Runnable and outdated.
  std::vector<const pb::Task*> old;
  /// Desired past RUNNING but not terminal yet: being stopped.
  std::vector<const pb::Task*> stopping;

  /// The update must replace this slot: it runs only outdated tasks.
  bool dirty() const {
    return fresh.empty() && !old.empty();
  }

  /// A replacement is under way: a fresh task waits to start (desired
  /// below RUNNING, stop-first) or runs beside outdated ones (start-first).
  bool in_flight() const;

  /// Some fresh task is up (is_up).
  bool fresh_up() const;
};

/// Tells whether a task of the service at hand is outdated (outdated(),
/// possibly memoized).
using outdated_fn = std::function<bool(const pb::Task&)>;

/// The slots of `s` (all its `tasks`), in slot order (replicated: slots
/// 1..replicas only, the rest is scaled down by the orchestrator; global: by
/// node id). Slots with no live task are left out.
std::vector<slot_view> slots_of(const pb::Service& s,
                                const std::vector<pb::Task>& tasks,
                                const outdated_fn& is_outdated);

/// The slots the next batch replaces: the first `parallelism` (0: all)
/// dirty slots not in `attempted`, in slot order (pointers into `slots`).
std::vector<const slot_view*> next_batch(const std::vector<slot_view>& slots,
                                         const std::set<slot_key>& attempted,
                                         uint64_t parallelism);

/// Whether a task the update started and that ended in `t`'s state failed:
/// it FAILED, was REJECTED or COMPLETEd (a service task must not exit), or
/// reached SHUTDOWN while still desired RUNNING (nobody asked it to stop).
/// ORPHANED (its node left) and stops the manager asked for are no failure.
/// Requires a terminal state.
bool is_failure(const pb::Task& t);

/// SwarmKit's test: failures / total > max_failure_ratio, in float (one
/// failure of four exceeds 0.2 but not 0.25). `total` 0 never exceeds.
bool ratio_exceeded(uint64_t failures, uint64_t total, float max_ratio);

/// Whether a stop-first replacement must wait for `t` to stop before the new
/// task starts: `t` was given to a node (state ASSIGNED..RUNNING) that is
/// still there and not down (SwarmKit's DelayStart). A task never assigned
/// runs nothing.
bool must_wait_for(const pb::Task& t, const outdated_context& ctx);

} // namespace actorswarm::update
