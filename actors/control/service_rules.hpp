#pragma once

// Docker's rules for services, without CAF (SwarmKit: manager/controlapi/
// service.go): what a service spec must satisfy, how `service create`,
// `update`, `scale` and `rm` turn into store batches, and what `service ls`
// and `inspect` answer from a read view of the store. Each function takes
// the view, the request and `now_ns`, and returns a decision.

#include <cstdint>
#include <random>
#include <string>

#include "actors/control/decision.hpp"
#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::control {

// -- specs -------------------------------------------------------------------

/// Checks a service spec the way `docker service create` does before
/// anything is stored: image `host` with a command (no container runtime
/// yet: another image is `unsupported_image`), a valid name, no replicas in
/// global mode, no negative durations or resources, a memory limit of at
/// least 6MB, valid env entries, constraints and spread preferences, a
/// well-formed --user (UID[:GID] or NAME[:GROUP]), known capability names
/// (stored normalized: "CAP_X", each once, ALL alone), valid mounts
/// (task::validate_mounts; targets and bind sources stored cleaned) and
/// update and rollback configs without negative durations or a failure
/// ratio outside 0..1 (update::validate_update_configs). Other refusals are
/// `invalid_spec`.
status validate_service_spec(pb::ServiceSpec& spec);

/// A new Service object for `spec` (already validated): a fresh id and, when
/// `spec` has no name, a random one; spec_version 1.
pb::Service make_service(const pb::ServiceSpec& spec, std::mt19937_64& gen);

/// A docker-style random name ("adjective_scientist") for unnamed services.
std::string random_service_name(std::mt19937_64& gen);

// -- writes ------------------------------------------------------------------

/// Replica counts above the swarm's max_replicas_per_service
/// (cluster_rules.hpp) are refused (invalid_spec, naming the limit and how to
/// raise it) by create, update and scale; update and scale keep a count that
/// does not change.
///
/// `service create`: validates `spec`, makes the service (make_service) and
/// refuses a name another service holds (the store's rule, asked on `view`,
/// in Docker's words: `rpc error: code = AlreadyExists desc = ...`). The
/// reply carries the new id as text and in ids.
result<write_decision> create_service(const store::object_store& view,
                                      pb::ServiceSpec spec,
                                      std::mt19937_64& gen, int64_t now_ns);

/// `service update`: the service `req.ref()` names gets `req.spec()` (the old
/// spec kept as previous_spec) if the new spec is valid. When the change
/// reaches its tasks (update::spec_changes_tasks) its update_status becomes
/// UPDATING "update in progress" (the update actor replaces the tasks);
/// otherwise it is cleared, as SwarmKit does. With `req.rollback()` (`service
/// rollback`) spec and previous_spec swap instead and the status is
/// ROLLBACK_STARTED "manually requested rollback"; without a previous spec it
/// is refused with SwarmKit's `... does not have a previous spec`. Either
/// way spec_version goes one up. A non-zero
/// `req.version()` is the version the CLI read: the store refuses the write
/// as stale_version if the service changed since. The reply names the
/// service (text) and carries its id.
result<write_decision> update_service(const store::object_store& view,
                                      const pb::ServiceUpdateRequest& req,
                                      int64_t now_ns);

/// `service scale`: sets the replicas of a replicated service; a global one
/// is refused (`scale can only be used with replicated mode`). The reply is
/// as for update_service.
result<write_decision> scale_service(const store::object_store& view,
                                     const pb::ServiceScaleRequest& req,
                                     int64_t now_ns);

/// `service rm`: removes every named service in one atomic batch, or refuses
/// all when one reference matches nothing. The reply echoes the references.
result<write_decision> remove_services(const store::object_store& view,
                                       const pb::ServiceRemoveRequest& req,
                                       int64_t now_ns);

// -- reads -------------------------------------------------------------------

/// Resolves a service reference (id, unique id prefix, or name).
result<store::object_ptr<pb::Service>>
find_service(const store::object_store& view, const std::string& ref);

/// `service ls`: services with running/desired counts, ordered by name.
pb::ControlReply list_services(const store::object_store& view);

/// `service inspect`: the named services in order, or the first reference
/// that matches nothing.
result<pb::ControlReply> inspect_services(const store::object_store& view,
                                          const pb::ServiceInspectRequest& req);

} // namespace actorswarm::control
