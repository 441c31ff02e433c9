#pragma once

// Docker's rules for nodes, without CAF (SwarmKit: manager/controlapi/
// node.go): `node ls` and `inspect` from a read view, with the live Raft
// view of the managers laid over the stored one, and `node update`
// (availability and labels). Promote, demote and rm are membership changes:
// the node actor owns them (actors/node/membership).

#include <cstddef>
#include <cstdint>
#include <string>

#include "actors/control/decision.hpp"
#include "actors/raft/apply_batch.hpp"
#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::control {

/// Docker's node.Reference: `self` names the node the daemon runs on
/// (`self_id`, when known); any other reference is returned as it is.
std::string resolve_self(const std::string& ref, const std::string& self_id);

/// Resolves a node reference (id, unique id prefix, or hostname).
result<store::object_ptr<pb::Node>> find_node(const store::object_store& view,
                                              const std::string& ref);

/// `node ls`: all nodes, ordered by hostname then id.
pb::ControlReply list_nodes(const store::object_store& view);

/// `node inspect`: the named nodes in order (`self` is `self_id`), or the
/// first reference that matches nothing.
result<pb::ControlReply> inspect_nodes(const store::object_store& view,
                                       const pb::NodeInspectRequest& req,
                                       const std::string& self_id);

/// Overlays the live Raft view on the managers in `out.nodes`: Leader,
/// Reachable or Unreachable (`node ls` MANAGER STATUS), whatever the stored
/// node says.
void overlay_raft_status(pb::ControlReply& out, const raft::raft_status& st);

/// How many managers are reachable as this manager sees it: the leader's
/// live view on the leader, the leader's stored view on a follower.
size_t reachable_managers(const store::object_store& view,
                          const raft::raft_status& st);

/// Applies `node update`'s changes to `n`'s spec: availability, labels
/// added (an empty key is refused) and removed (a key the node lacks is
/// refused, in Docker's words). Refusals are invalid_spec.
status apply_node_update(pb::Node& n, const pb::NodeUpdateRequest& req);

/// `node update`: the node `req.ref()` names (`self` is `self_id`) with the
/// changes applied, as an UPDATE batch; the reply carries its id.
result<write_decision> update_node(const store::object_store& view,
                                   const pb::NodeUpdateRequest& req,
                                   const std::string& self_id, int64_t now_ns);

} // namespace actorswarm::control
