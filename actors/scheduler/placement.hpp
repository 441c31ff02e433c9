#pragma once

// Placement of one task group (tasks of one service with one spec), after
// SwarmKit's scheduleTaskGroup and its decision tree for placement
// preferences (manager/scheduler/scheduler.go, nodeset.go). The filters run
// once per node to build the tree; after that each placement costs
// O(log nodes): a heap per leaf for spread and binpack, a vector for random.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "actors/scheduler/filter.hpp"
#include "actors/scheduler/node_info.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::scheduler {

/// How a leaf of the decision tree orders its nodes.
enum class strategy {
  spread,  ///< fewest tasks of the service, then fewest tasks, then node id
  binpack, ///< highest load() that still fits, then most tasks, then node id
  random,  ///< uniform over the nodes that still fit
};

/// The strategy for `task`: its placement.strategy, else `cluster_default`,
/// else spread.
strategy strategy_for(const pb::Task& task,
                      pb::Placement::Strategy cluster_default);

/// Water-filling split of `n` new tasks over branches that already hold
/// `existing[i]` tasks: the most even result, extra tasks going to the
/// branches with fewest tasks first (ties: lower index).
/// @returns how many new tasks each branch gets; the sum is `n`.
std::vector<uint64_t> even_split(const std::vector<uint64_t>& existing,
                                 uint64_t n);

/// Places the tasks of one group. Single use: construct, call place() once.
class group_placer {
public:
  /// Called once per placed task with the index of the chosen node in
  /// `nodes`; it must count the task on that node (node_info::add_task)
  /// before returning, so the filters see the new load.
  using assign_fn = std::function<void(uint32_t node_index)>;

  /// True for nodes that recently failed this group's tasks too often; spread
  /// and binpack try them last. May be empty (no node is faulty).
  using faulty_fn = std::function<bool(const node_info& node)>;

  /// `filters` must already be set to the group's representative `task`.
  /// `nodes`, `filters`, `task` and `rng` must outlive this object.
  group_placer(std::vector<node_info>& nodes, pipeline& filters,
               const pb::Task& task, strategy how, std::mt19937_64& rng,
               assign_fn assign, faulty_fn faulty = {});

  ~group_placer();

  /// Places up to `n` tasks, spreading them over the preference tree.
  /// @returns how many were placed (less than `n` when nodes ran out).
  size_t place(size_t n);

private:
  // -- member types -----------------------------------------------------------

  struct entry;
  struct tree;

  // -- helpers ----------------------------------------------------------------

  void build();
  uint64_t place_in(tree& t, uint64_t n);
  uint64_t place_in_leaf(tree& t, uint64_t n);
  uint64_t place_randomly(tree& t, uint64_t n);
  bool before(const entry& a, const entry& b) const;

  std::vector<node_info>& nodes_;
  pipeline& filters_;
  const pb::Task& task_;
  strategy how_;
  std::mt19937_64& rng_;
  assign_fn assign_;
  faulty_fn faulty_;
  std::vector<std::string> preferences_;
  std::unique_ptr<tree> root_;
};

} // namespace actorswarm::scheduler
