#pragma once

// Which tasks a node's agent must know about, and which status reports the
// store should take: the dispatcher's decisions without CAF.

#include <string>
#include <unordered_map>
#include <vector>

#include "actors/store/object_store.hpp"
#include "messages/dispatcher.pb.h"

namespace actorswarm::dispatcher {

/// True when the agent of the task's node should run or track `t`.
bool is_assigned(const pb::Task& t);

/// All tasks currently assigned to `node_id`, as a full Assignments set, with
/// the ids of the node's other tasks still in the store in `kept` (their logs
/// stay).
pb::Assignments full_assignments(const store::object_store& view,
                                 const std::string& node_id);

/// The per-node changes a committed change set implies: tasks to (re)send
/// and task ids to forget (deleted ones also in `deleted`: their logs go),
/// keyed by node id.
std::unordered_map<std::string, pb::Assignments>
changed_assignments(const store::change_set& cs);

/// The host part of a node address ("10.0.0.2:2377" -> "10.0.0.2",
/// "[fd00::1]:2377" -> "fd00::1", "10.0.0.2" as is).
std::string addr_host(const std::string& addr);

/// The node's address on the ingress network (its routing-mesh sandbox's,
/// "10.0.0.3/24") while some service publishes a port in ingress mode; ""
/// otherwise, or while it has none yet.
std::string ingress_address(const store::object_store& view,
                            const std::string& node_id);

/// What the data plane of `node_id` needs (DESIGN.md, Networking): every
/// allocated network (vni and subnet set) one of its assigned tasks is on,
/// with the peers on it (every assigned task with an address there whose
/// node has an address) and the services on it (VIP, running tasks'
/// addresses: state RUNNING and desired at most RUNNING, so a task being
/// stopped leaves balancing first). While the node needs its routing mesh
/// (ingress_address), also the ingress network, whose peers then include
/// every node's sandbox (no task id, first) and whose services carry their
/// published ports. Sorted by network id; deterministic, so two results
/// compare equal when nothing the node needs changed.
std::vector<pb::NodeNetwork> node_networks(const store::object_store& view,
                                           const std::string& node_id);

/// The cluster's data path port (0 before swarm init or when unset: 4789).
uint32_t data_path_port(const store::object_store& view);

/// Fills `as`'s network part for `node_id` (networks_set, networks,
/// data_path_port). Returns a digest of it (compare with the last one sent).
std::string fill_networks(const store::object_store& view,
                          const std::string& node_id, pb::Assignments& as);

/// True when a change set can change some node's network part: a task on a
/// network, a service or a network moved, a node's address or the data
/// path port changed, or a snapshot was installed.
bool touches_networks(const store::change_set& cs);

/// Turns reported statuses into status-only store actions, dropping
/// reports that do not move a known task forward (task::can_transition: a
/// state that is not a TaskState is dropped too), except a RUNNING task's
/// report of a new health (TaskStatus.health; the state stays RUNNING).
std::vector<pb::StoreAction>
status_actions(const store::object_store& view,
               const std::vector<pb::TaskStatusUpdate>& xs);

/// The updates of `b` about tasks assigned to the node that sent it: a node
/// reports on its own tasks only; the rest are dropped.
std::vector<pb::TaskStatusUpdate> own_updates(const store::object_store& view,
                                              const pb::StatusBatch& b);

/// Whether another dispatcher serves `node`'s agent now: the stored status
/// names a session other than `session_id`. An empty stored session (stored
/// before sessions were recorded) names none, so it counts as ours.
bool session_moved(const pb::Node& node, const std::string& session_id);

/// A status-only node update that marks `node` with `state`.
pb::StoreAction node_status_action(const pb::Node& node,
                                   pb::NodeStatus::State state,
                                   const std::string& message);

} // namespace actorswarm::dispatcher
