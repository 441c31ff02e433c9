#pragma once

// The scheduler's logic, after SwarmKit's manager/scheduler/scheduler.go: it
// keeps an incremental view of nodes and active tasks and assigns pending
// tasks to nodes. The scheduler actor (leader only) feeds it store events
// (upsert/remove of nodes and tasks), calls schedule() with the pending tasks
// of a commit batch and proposes the decisions. Pure logic: no CAF, no clock,
// no threads; randomness from a seeded std::mt19937_64.

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/scheduler/filter.hpp"
#include "actors/scheduler/node_info.hpp"
#include "actors/scheduler/placement.hpp"
#include "actors/scheduler/scheduler_config.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::scheduler {

/// Where one pending task goes.
struct decision {
  std::string task_id;
  /// The chosen node; empty when the task cannot be scheduled now.
  std::string node_id;
  /// Why not, when node_id is empty, in SwarmKit's words, e.g.
  /// "no suitable node (insufficient resources on 1 node)"; empty otherwise.
  std::string explanation;
};

/// Incremental scheduler state plus the placement algorithm.
class scheduler {
public:
  /// `random_seed` seeds the random strategy (Cluster.random_seed), so a
  /// replayed sequence of calls yields the same decisions. `cfg` must pass
  /// validate().
  explicit scheduler(uint64_t random_seed = 0, scheduler_config cfg = {});

  // -- state updates (from store events) --------------------------------------

  /// Adds or replaces a node (spec, status, description). Tasks already
  /// counted on it stay counted.
  void upsert_node(const pb::Node& node);

  /// Removes a node; an unknown id is ignored. Tasks still naming it keep
  /// their bookkeeping until they are removed or move.
  void remove_node(const std::string& node_id);

  /// Adds or replaces a task. It counts on its node (resources, task counts)
  /// while it has a node_id, desired_state <= RUNNING and state <= RUNNING.
  /// A counted task that arrives FAILED or REJECTED is also remembered as a
  /// failure on its node at status.timestamp_ns (see scheduler_config).
  void upsert_task(const pb::Task& task);

  /// Forgets a task and frees what it reserved; an unknown id is ignored.
  void remove_task(const std::string& task_id);

  // -- scheduling -------------------------------------------------------------

  /// Decides a node for each task of `pending` (not null; one decision per
  /// task, in the same order). Tasks of one service with one spec (same
  /// service_id and spec_version, or same placement and reservations when
  /// spec_version is 0) form a group whose nodes are filtered and ordered
  /// once. Each placement is counted immediately, so later tasks see it; the
  /// caller reports the final state through upsert_task as usual (which is
  /// idempotent). A task that already has a node_id (global services) is only
  /// checked against that node. `cluster_default` applies to tasks whose
  /// placement.strategy is DEFAULT; DEFAULT there means spread. `now_ns` is
  /// the wall clock for the recent-failure window; 0 ignores failures.
  std::vector<decision> schedule(const std::vector<const pb::Task*>& pending,
                                 pb::Placement::Strategy cluster_default,
                                 int64_t now_ns = 0);

  /// Plugin point: filters added here run after the default ones.
  pipeline& filters() noexcept {
    return filters_;
  }

  // -- observers --------------------------------------------------------------

  /// The bookkeeping of `node_id`, or nullptr when neither the node nor a
  /// task on it is known. Valid until the next upsert/remove/schedule call.
  const node_info* find_node(const std::string& node_id) const;

  /// Known nodes (placeholders for unknown node ids not included).
  size_t node_count() const noexcept {
    return known_nodes_;
  }

  /// Tasks currently counted on some node.
  size_t active_task_count() const noexcept {
    return tasks_.size();
  }

private:
  // -- member types -----------------------------------------------------------

  struct task_record {
    std::string node_id;
    task_usage usage;
  };

  struct group {
    const pb::Task* representative;
    std::vector<size_t> members; // indexes into pending, in input order
  };

  // -- helpers ----------------------------------------------------------------

  node_info& node_slot(const std::string& node_id);
  void erase_node_at(uint32_t index);
  void uncount(const std::string& task_id);
  void count(const std::string& task_id, uint32_t node_index, task_usage usage);
  void schedule_preassigned(const pb::Task& task, decision& out);
  void schedule_group(const group& g,
                      const std::vector<const pb::Task*>& pending,
                      pb::Placement::Strategy cluster_default, int64_t now_ns,
                      std::vector<decision>& out);

  // -- state ------------------------------------------------------------------

  std::vector<node_info> nodes_;
  std::unordered_map<std::string, uint32_t> node_index_;
  size_t known_nodes_ = 0;
  std::unordered_map<std::string, task_record> tasks_;
  pipeline filters_;
  std::mt19937_64 rng_;
  scheduler_config cfg_;
};

} // namespace actorswarm::scheduler
