#pragma once

// What the control actor decides, without CAF: validating and defaulting
// service specs, turning CLI requests into store batches, and building
// replies from a read view of the store. The actor glue only moves messages.

#include <cstdint>
#include <random>
#include <string>

#include "actors/raft/apply_batch.hpp"
#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"
#include "messages/store.pb.h"

namespace actorswarm::control {

/// Checks a service spec the way `docker service create` does before
/// anything is stored; fills defaults the CLI left unset. Refuses images
/// other than `host` (no container runtime yet).
status validate_service_spec(pb::ServiceSpec& spec);

/// A new Service object for `spec` (already validated).
pb::Service make_service(const pb::ServiceSpec& spec, std::mt19937_64& gen);

/// A docker-style random name ("adjective_scientist") for unnamed services.
std::string random_service_name(std::mt19937_64& gen);

/// The reply that reports `f` to the CLI (code + one-line message).
pb::ControlReply error_reply(const failure& f);

/// One atomic batch of one action.
pb::StoreBatch single_action(pb::StoreAction::Kind kind, int64_t now_ns);

// -- replies built from a view ----------------------------------------------

/// `node ls`: all nodes, ordered by hostname then id.
pb::ControlReply list_nodes(const store::object_store& view);

/// Overlays the live Raft view on the managers in `out.nodes`: Leader,
/// Reachable or Unreachable (`node ls` MANAGER STATUS), whatever the stored
/// node says.
void overlay_raft_status(pb::ControlReply& out, const raft::raft_status& st);

/// How many managers are reachable as this manager sees it: the leader's
/// live view on the leader, the leader's stored view on a follower.
size_t reachable_managers(const store::object_store& view,
                          const raft::raft_status& st);

/// The warning a read carries when no leader confirmed it was current.
extern const char* const stale_read_warning;

/// `service ls`: services with running/desired counts, ordered by name.
pb::ControlReply list_services(const store::object_store& view);

/// `service ps` / task listing with filters; node names filled in.
result<pb::ControlReply> list_tasks(const store::object_store& view,
                                    const pb::TaskListRequest& req);

/// `info`: counts from the view (node identity filled by the caller).
pb::Info info_from(const store::object_store& view);

/// The cluster object without its CA key, safe to hand to the CLI.
pb::Cluster public_cluster(const pb::Cluster& c);

/// Resolves a service reference (id, unique id prefix, or name).
result<store::object_ptr<pb::Service>>
find_service(const store::object_store& view, const std::string& ref);

/// Resolves a node reference (id, unique id prefix, or hostname).
result<store::object_ptr<pb::Node>>
find_node(const store::object_store& view, const std::string& ref);

/// Resolves a task reference (id, unique prefix, or name like `web.1`).
result<store::object_ptr<pb::Task>>
find_task(const store::object_store& view, const std::string& ref);

/// Task name as docker shows it: `web.1` (replicated), `web.<node id>`
/// (global).
std::string task_name(const pb::Task& t);

/// True when the task counts as running for `service ls` REPLICAS.
bool counts_running(const pb::Task& t);

} // namespace actorswarm::control
