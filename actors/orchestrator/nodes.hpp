#pragma once

// How the orchestrators see nodes: a map by id (the glue keeps it current
// from store events) and the one question they ask of a node.

#include <map>
#include <string>

#include "messages/objects.pb.h"

namespace actorswarm::orchestrator {

/// Nodes by id. Ordered, so global reconcile visits nodes in one order.
using node_map = std::map<std::string, pb::Node>;

/// What a node means for the tasks on it.
enum class node_fate {
  /// Ready and active: may run tasks and get new ones.
  active,
  /// Availability PAUSE: keeps its tasks, gets no new ones.
  paused,
  /// Availability DRAIN: its tasks must stop and move elsewhere.
  drained,
  /// Status DOWN: its tasks are presumed dead (SwarmKit isValidNode).
  down,
  /// Status UNKNOWN or DISCONNECTED: may come back; keep its tasks, add none.
  unreachable,
  /// Not in the map: deleted from the cluster; its tasks will never report.
  removed,
};

/// Fate of `node_id` in `nodes`. Drain wins over status: a drained node
/// keeps no task whether it is up or not.
node_fate fate_of(const node_map& nodes, const std::string& node_id);

} // namespace actorswarm::orchestrator
