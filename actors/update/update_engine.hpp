#pragma once

// The rolling update engine (SwarmKit manager/orchestrator/update/
// updater.go), without CAF or clock: the update actor calls step() for a
// service whenever the store changed it or its tasks, or its timer fell due,
// proposes the actions as one atomic batch, and reports the outcome
// (accept/reject), so a refused batch leaves the run as it was.
//
// A run replaces the outdated slots of one spec_version, in slot order, in
// batches of `parallelism`:
// - stop-first: the old task is desired SHUTDOWN and the new one created
//   desired READY in one batch; once the old one stopped (or its node is
//   down or gone, or update_old_task_timeout_ns passed) the new one is set
//   desired RUNNING, so a slot never runs two processes (host ports);
// - start-first: the new task is created desired RUNNING beside the old
//   one, which is shut down once the new one is up (running, and healthy
//   when it has a health check).
// A batch ends when each of its slots has an up task of the new spec (or
// its new task ended); the next starts max(delay, monitor) later (at once
// when both are 0). A new task that fails before it ran for `monitor` is a
// failure; past max_failure_ratio the run pauses, or rolls back (spec :=
// previous_spec, the rollback policy then drives the slots back). The run
// completes `monitor` after its last batch is up.
//
// Everything a new leader needs is in the store (update_status, the tasks'
// spec_version and desired states): a fresh engine adopts the slots that
// are mid-replacement as its first batch and replaces only slots still
// outdated. What it does not know is the failures counted before.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/update/update_plan.hpp"
#include "actors/update/update_policy.hpp"
#include "messages/store.pb.h"

namespace actorswarm::update {

/// A task a run started (or adopted when it began).
struct started_task {
  slot_key slot;
  /// When the run first saw it RUNNING (ns); 0: not yet.
  int64_t running_since_ns = 0;
  /// Its end was seen (and judged) already.
  bool ended = false;
};

/// One service's run: the replacement of its outdated slots for one
/// spec_version.
struct run_state {
  uint64_t spec_version = 0;
  /// Driving a rollback (the rollback policy; a failure never rolls back).
  bool rollback = false;
  policy pol;
  /// Slots the run replaces (dirty or mid-replacement when it began): the
  /// failure ratio's denominator.
  uint64_t total = 0;
  uint64_t failures = 0;
  /// Paused, rolled back or completed: nothing new starts (slots
  /// mid-replacement are still finished).
  bool stopped = false;
  std::map<std::string, started_task> started;
  /// Slots replaced (or adopted) by this run; never replaced twice.
  std::set<slot_key> attempted;
  /// The batch under way: slot -> the task it waits for.
  std::map<slot_key, std::string> batch;
  /// When the last batch was all up (ns).
  std::optional<int64_t> batch_up_at_ns;
  /// Stopped, and its last step found nothing to do and no slot
  /// mid-replacement: task events cannot give it work (update_engine::idle).
  bool quiet = false;
};

/// What step() asks the store to do.
struct step_result {
  /// One atomic batch: at most one service write (status, rollback), then
  /// task creates and desired-state raises, each at the version it was
  /// read. Empty: nothing to propose.
  std::vector<pb::StoreAction> actions;
  /// When to step this service again without a store event (delay,
  /// monitor, old task timeout), ns since the epoch.
  std::optional<int64_t> wake_at_ns;

  /// Lowers wake_at_ns to `at_ns` if that is earlier.
  void wake_at(int64_t at_ns);
};

/// The runs of every service, on the leader.
class update_engine {
public:
  /// Advances the update of service `id`: `s` is the service (null:
  /// deleted, the run is dropped), `tasks` all its tasks, `now_ns` the wall
  /// clock, `gen` the id source for new tasks. The run's new state is held
  /// until accept(id) (or reject(id)); a step without actions accepts
  /// itself. At most one step per service may await its outcome.
  step_result step(const std::string& id, const pb::Service* s,
                   const std::vector<pb::Task>& tasks,
                   const outdated_context& ctx, int64_t now_ns,
                   std::mt19937_64& gen);

  /// The actions of the last step of `id` were committed.
  void accept(const std::string& id);

  /// They were refused: the run stays as it was before that step.
  void reject(const std::string& id);

  /// The run of `id`, or null.
  const run_state* find(const std::string& id) const;

  /// True when service `id` at `spec_version` has nothing to do until its
  /// spec changes: its run is stopped and quiet. The actor then skips the
  /// service's task events (a service being created or scaled costs the
  /// update actor nothing).
  bool idle(const std::string& id, uint64_t spec_version) const;

private:
  // -- member types -----------------------------------------------------------

  /// outdated() of one task, and what it was computed from.
  struct memo_entry {
    uint64_t spec_version = 0;
    bool allocated = false;
    uint64_t node_version = 0;
    bool verdict = false;

    bool same_inputs(const memo_entry& x) const {
      return spec_version == x.spec_version && allocated == x.allocated
             && node_version == x.node_version;
    }
  };

  using memo_table = std::unordered_map<std::string, memo_entry>;

  // -- member variables -------------------------------------------------------

  std::map<std::string, run_state> runs_;
  std::map<std::string, run_state> pending_;
  /// Per service: outdated() verdicts of its tasks at its last step (a
  /// protobuf comparison per task and step would cost more than the rest).
  std::map<std::string, memo_table> memo_;
};

} // namespace actorswarm::update
