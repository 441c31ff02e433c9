#pragma once

// What the control actor decides, without CAF: which requests it answers
// from its read view, which it proposes to the store and which it hands to
// the node actor (membership), and the dispatch of each request to the
// rules of its object kind (service_rules, node_rules, cluster_rules,
// task_rules). The actor glue only moves messages. Including this header
// brings in all the rules.

#include <cstdint>
#include <random>
#include <string>

#include "actors/control/cluster_rules.hpp"
#include "actors/control/decision.hpp"
#include "actors/control/network_rules.hpp"
#include "actors/control/node_rules.hpp"
#include "actors/control/service_rules.hpp"
#include "actors/control/task_rules.hpp"
#include "actors/raft/apply_batch.hpp"
#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::control {

/// The warning a read carries when no leader confirmed it was current.
extern const char* const stale_read_warning;

/// The reply to every request but membership ones while this node is no
/// manager (no store): Docker's "not a swarm manager" (not_in_swarm).
pb::ControlReply not_manager_reply();

/// Requests the node actor answers: info, swarm init/join/leave, join-token,
/// node promote/demote/rm.
bool is_membership(const pb::ControlRequest& req);

/// Requests answered from the read view: node ls/inspect, service
/// ls/inspect, service ps, logs, unlock-key without --rotate, and unlock
/// (a running daemon is not locked).
bool is_read(const pb::ControlRequest& req);

/// Reads that show the live Raft view (node ls/inspect): only these ask the
/// raft peer for its status.
bool shows_raft_status(const pb::ControlRequest& req);

/// The answer to read `req` from `view`; `self_id` is this node's id (for
/// `self` and `node ls`). A request that is no read is a bad_request.
pb::ControlReply answer_read(const store::object_store& view,
                             const pb::ControlRequest& req,
                             const std::string& self_id);

/// Completes a read's answer: the live Raft view over the managers when
/// `status` is set, and stale_read_warning on a successful answer that no
/// leader confirmed current (`fresh` false).
void finish_read(pb::ControlReply& r, bool fresh,
                 const raft::raft_status* status);

/// The decision for write `req` on `view` (service create/update/scale/rm,
/// node update, swarm update, unlock-key --rotate), proposed at `now_ns`; `gen`
/// makes new ids and names. A request of another kind is a bad_request.
result<write_decision> decide_write(const store::object_store& view,
                                    const pb::ControlRequest& req,
                                    const std::string& self_id,
                                    std::mt19937_64& gen, int64_t now_ns);

} // namespace actorswarm::control
