#pragma once

// Task helpers shared by the orchestrators (SwarmKit manager/orchestrator/
// task.go): the task states that matter to reconcile, NewTask, and the
// StoreAction builders every reconcile function returns.

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "messages/objects.pb.h"
#include "messages/store.pb.h"

namespace actorswarm::orchestrator {

/// What one reconcile pass decided. `actions` is meant for one atomic
/// StoreBatch: UPDATEs carry the meta.version they read, so a batch built
/// from a stale view is refused as a whole by the store and nothing is
/// duplicated.
struct reconcile_result {
  /// Store writes, in a deterministic order.
  std::vector<pb::StoreAction> actions;

  /// Earliest wall-clock time (ns since the epoch) at which the caller must
  /// reconcile this service again even without a store event (a restart
  /// delay running out). nullopt: only store events matter.
  std::optional<int64_t> next_wakeup_ns;

  /// Lowers next_wakeup_ns to `at_ns` if that is earlier.
  void wake_at(int64_t at_ns);

  /// True when reconcile stopped creating tasks at its budget
  /// (new_tasks_per_batch_max): the caller proposes `actions`, and once they
  /// commit reconciles the service again for the next batch.
  bool more = false;

  /// Appends the actions of `x` and merges its wakeup and `more`.
  void merge(reconcile_result x);
};

/// At most this many new tasks per proposal, over all services of one
/// reconcile pass: a 100,000-replica service is created in batches, so no
/// Raft entry holds it all and the leader's actors never spend seconds on
/// one reconcile (nor does a service stored with more replicas than
/// `swarm update --max-replicas-per-service` allows exhaust the manager).
constexpr uint64_t new_tasks_per_batch_max = 1'000;

/// What one reconcile of a replicated service may do.
struct reconcile_limits {
  /// New tasks it may create (the rest: reconcile_result::more).
  uint64_t new_tasks_max = new_tasks_per_batch_max;
  /// Empty slots above this are never filled; slots that hold tasks are
  /// reconciled as usual (restarts included) while spec.replicas covers
  /// them. The swarm's max_replicas_per_service: a
  /// service stored before the limit existed (or above a lowered one) does
  /// not make the manager hold more tasks than it allows.
  uint64_t slots_max = std::numeric_limits<uint64_t>::max();
};

/// True for states a task never leaves (COMPLETE and beyond): its process
/// is gone or never started.
bool is_terminal(pb::TaskState x);

/// A task that runs or will run: desired_state <= RUNNING and the observed
/// state is not yet terminal. Each slot (node for global services) holds at
/// most one.
bool is_runnable(const pb::Task& x);

/// True when the task is still wanted (desired_state <= RUNNING), whether or
/// not its process is alive.
bool is_desired_running(const pb::Task& x);

/// Orders tasks newest first: meta.created_at_ns, then status timestamp,
/// then id (descending), so equal timestamps still give one order.
bool newer_than(const pb::Task& x, const pb::Task& y);

/// SwarmKit NewTask: a fresh task for `slot` (replicated, 1..replicas) or for
/// `node_id` (global, slot 0) of `service`, with a copy of its task spec and
/// spec_version, desired_state RUNNING, status NEW "created" at `now_ns`.
/// Draws the id from `gen`.
pb::Task new_task(const pb::Service& service, uint64_t slot,
                  std::string node_id, int64_t now_ns, std::mt19937_64& gen);

/// CREATE action for `x`.
pb::StoreAction create_action(pb::Task x);

/// UPDATE action for `x`; `x.meta().version` must be the version it was read
/// at.
pb::StoreAction update_action(pb::Task x);

/// REMOVE (delete) action for `x`, at the version it was read at.
pb::StoreAction remove_action(pb::Task x);

/// UPDATE of `x` with desired_state raised to `desired`. Requires
/// `desired >= x.desired_state()` (tasks only move forward).
pb::StoreAction set_desired_action(const pb::Task& x, pb::TaskState desired);

/// UPDATE of `x` with desired_state SHUTDOWN and observed state ORPHANED at
/// `now_ns` with `why`: the manager's verdict for a task whose node is gone
/// and will never report again. Requires `!is_terminal(x.status().state())`.
pb::StoreAction orphan_action(const pb::Task& x, int64_t now_ns,
                              const std::string& why);

} // namespace actorswarm::orchestrator
