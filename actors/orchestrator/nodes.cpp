#include "actors/orchestrator/nodes.hpp"

namespace actorswarm::orchestrator {

node_fate fate_of(const node_map& nodes, const std::string& node_id) {
  auto i = nodes.find(node_id);
  if (i == nodes.end())
    return node_fate::removed;
  const auto& n = i->second;
  if (n.spec().availability() == pb::NodeSpec::DRAIN)
    return node_fate::drained;
  switch (n.status().state()) {
    case pb::NodeStatus::DOWN:
      return node_fate::down;
    case pb::NodeStatus::READY:
      break;
    default:
      return node_fate::unreachable;
  }
  if (n.spec().availability() == pb::NodeSpec::PAUSE)
    return node_fate::paused;
  return node_fate::active;
}

} // namespace actorswarm::orchestrator
