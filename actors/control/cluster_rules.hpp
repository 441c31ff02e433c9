#pragma once

// Docker's rules for the swarm (the cluster object), without CAF (SwarmKit:
// manager/controlapi/cluster.go): `swarm update` and the counts `info`
// shows. Init, join, leave and join tokens are membership: the node actor
// owns them (actors/node/membership).

#include <cstdint>

#include "actors/control/decision.hpp"
#include "actors/raft/apply_batch.hpp"
#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::control {

/// `swarm update`: the cluster with the fields the request sets (scheduler
/// strategy, task history limit, election and heartbeat ticks, autolock,
/// node certificate expiry, `rotate_ca` bumps ca_config.force_rotate),
/// as an UPDATE batch; the reply is empty, but for autolock turned on: then
/// it carries the new unlock key (`req.fresh_unlock_key`, which the daemon
/// fills) in `unlock_key`, and for rotate_ca the updated cluster without
/// its keys (the force_rotate to wait for). Refused: no cluster in `view` (this
/// node is not a manager: not_in_swarm), or ticks where the election tick is
/// not greater than a heartbeat tick of at least 1, a --cert-expiry under an
/// hour, or a --max-replicas-per-service of 0 (invalid_spec).
result<write_decision> update_swarm(const store::object_store& view,
                                    const pb::SwarmUpdateRequest& req,
                                    int64_t now_ns);

/// The most replicas one service may ask for: the cluster's
/// max_replicas_per_service, cluster_defaults::max_replicas_per_service when
/// it is 0 (a cluster made before the setting existed) or there is no
/// cluster in `view`.
uint64_t max_replicas_per_service(const store::object_store& view);

/// --cert-expiry of `swarm update` or `swarm ca`: at least one hour
/// (invalid_spec, docker's "minimum certificate expiry time is 1h0m0s").
/// Without the flag, ok.
status check_cert_expiry(const pb::SwarmUpdateRequest& req);

/// `swarm ca`: the cluster's current root CA certificate (PEM) in `text`
/// and the cluster without its keys in `cluster` (a rotation runs while it
/// has a previous root or its applied_force_rotate lags the spec's).
/// Refused without a cluster (not_in_swarm).
pb::ControlReply read_ca(const store::object_store& view);

/// `swarm unlock-key` (no rotation): the cluster's unlock key in the reply's
/// `unlock_key`. Refused when autolock is off (refused, docker's "no unlock
/// key is set") or without a cluster (not_in_swarm).
pb::ControlReply read_unlock_key(const store::object_store& view);

/// `swarm unlock-key --rotate`: the cluster with `req.fresh_unlock_key` (the
/// daemon fills it) as its unlock key, as an UPDATE batch; the reply carries
/// the new key. Every manager rewraps its data key under it once it applies
/// the change (sync_autolock). Refused when autolock is off (refused,
/// docker's "cannot rotate because autolock is not turned on").
result<write_decision> rotate_unlock_key(const store::object_store& view,
                                         const pb::UnlockKeyRequest& req,
                                         int64_t now_ns);

/// `swarm unlock` sent to a daemon that runs (is not locked): docker's
/// "swarm is not locked" (refused).
pb::ControlReply not_locked_reply();

/// `info`: counts from the view (node identity filled by the caller).
pb::Info info_from(const store::object_store& view);

/// `info` as the node actor answered it (identity), with the counts of
/// `view` under it: the node actor's fields win.
void add_counts(pb::Info& info, const store::object_store& view);

/// The Raft part of `info`: term and leader address from the raft peer's
/// live view, commit index from `applied_index` (this replica's).
void add_raft_info(pb::Info& info, const raft::raft_status& st,
                   uint64_t applied_index);

/// The cluster object without its CA key and unlock key, safe to hand to
/// the CLI.
pb::Cluster public_cluster(const pb::Cluster& c);

} // namespace actorswarm::control
