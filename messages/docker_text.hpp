#pragma once

// Docker's texts, one home: the words a Swarm user already knows, which the
// daemon puts in replies and the CLI prints. Each text is written here once
// and called from actors/ and cli/, so the daemon's and the CLI's copies
// cannot drift apart. Docker's "docker" reads "actorswarm" here. No CAF, no
// IO: the lean CLI links this too. Tests keep their own literal copies: they
// check the bytes, not that this file agrees with itself.
//
// The name-conflict rule has one home too, the store: a service name
// belongs to one service (`store::object_store::service_name_conflict`,
// checked when a batch applies, so of two racing creates one wins).
// `control::create_service` asks the same rule on its read view before it
// proposes, to answer at once in Docker's controlapi words
// (`rpc_error("AlreadyExists", name_conflict(...))`); a rename onto a taken
// name is refused by the store alone (without the rpc prefix). Node names
// (hostnames) may repeat, as in Docker: no rule.

#include <cstddef>
#include <cstdint>
#include <string>

namespace actorswarm::docker_text {

/// Any manager request (node, service, swarm update) on a node that is in
/// no swarm: `docker node ls` there prints it after `Error response from
/// daemon: `.
std::string not_swarm_manager();

/// A write (or forwarded request) while the swarm has no Raft leader; Docker
/// prints it as `rpc error: code = Unknown desc = The swarm does not have a
/// leader. ...` (`docker node ls` on a manager that lost quorum).
std::string no_leader();

/// `swarm init` or `swarm join` on a node already in a swarm (moby's
/// daemon/cluster/errors.go `errSwarmExists`).
std::string already_in_swarm();

/// `swarm leave` on a node that is in no swarm (moby's daemon/cluster/
/// errors.go `errNoSwarm`).
std::string not_in_swarm();

/// SwarmKit's store refusal of a taken name (`ErrNameConflict`: "name
/// conflicts with an existing object"), with the kind and name its
/// controlapi adds: `name conflicts with an existing object: service web
/// already exists` (`docker service create --name web` twice).
std::string name_conflict(const std::string& kind, const std::string& name);

/// How Docker prints a SwarmKit gRPC error: `rpc error: code = <code> desc =
/// <desc>` (e.g. code `AlreadyExists` for a name conflict).
std::string rpc_error(const std::string& code, const std::string& desc);

/// A reference that matches no object: `No such service: nope` (the docker
/// CLI's wording for a missing object, `docker inspect`'s `No such object`).
std::string no_such(const std::string& kind, const std::string& ref);

/// An id prefix that matches several objects: `service ab is ambiguous (2
/// matches found)` (moby's daemon/cluster/helpers.go `getService`).
std::string ambiguous(const std::string& kind, const std::string& ref,
                      size_t matches);

/// The CLI's line for an error the daemon returned: `Error response from
/// daemon: <message>` (the docker CLI's prefix for every API error).
std::string from_daemon(const std::string& message);

/// An unknown `--filter` key or value: `invalid filter 'x'` (moby's
/// api/types/filters `invalidFilter`, as `docker service ls --filter x=1`).
std::string invalid_filter(const std::string& filter);

} // namespace actorswarm::docker_text

namespace actorswarm::docker_text {

/// A request to a manager whose data dir is locked (autolock) and not yet
/// unlocked (moby's daemon/cluster/errors.go `errSwarmLocked`).
std::string swarm_locked();

/// `swarm unlock` with a key that does not open the data dir (moby's
/// `invalidUnlockKey`).
std::string invalid_unlock_key();

/// `swarm unlock` on a manager that is not locked (moby's `notLockedError`).
std::string swarm_not_locked();

/// What `swarm init --autolock`, `swarm update --autolock=true` and `swarm
/// unlock-key` print about `key` (docker/cli's `printUnlockCommand`).
std::string unlock_key_instructions(const std::string& key);

/// `swarm unlock-key` when autolock is off (docker/cli's unlock_key.go).
std::string no_unlock_key();

/// `swarm unlock-key --rotate` when autolock is off.
std::string cannot_rotate_unlock_key();

} // namespace actorswarm::docker_text

namespace actorswarm::docker_text {

// -- mounts (moby's volume/mounts/linux_parser.go and errors.go, the local
// volume driver's validateName, SwarmKit's validateMounts) ----------------

/// moby's errMountConfig: `invalid mount config for type "bind": <err>`.
std::string invalid_mount_config(const std::string& type,
                                 const std::string& err);

/// moby's errMissingField: `field Target must not be empty`.
std::string mount_field_empty(const std::string& field);

/// moby's ErrVolumeTargetIsRoot.
std::string mount_target_is_root();

/// moby's linuxValidateAbsolute: `invalid mount path: 'x' mount path must be
/// absolute`.
std::string mount_path_not_absolute(const std::string& path);

/// moby's errBindSourceDoesNotExist: `bind source path does not exist: /x`.
std::string bind_source_missing(const std::string& path);

/// The local volume driver's validateName, as the daemon prints it
/// (`create x: volume name is too short, ...`); "" when `name` is valid
/// ([a-zA-Z0-9][a-zA-Z0-9_.-]+).
std::string invalid_volume_name(const std::string& name);

/// SwarmKit's validateMounts: `duplicate mount point: /x`.
std::string duplicate_mount_point(const std::string& target);

} // namespace actorswarm::docker_text

namespace actorswarm::docker_text {

// -- networks (moby's daemon/cluster/networks.go, SwarmKit's controlapi
// network.go and service.go) ---------------------------------------------

/// A network reference that matches nothing where Docker looks it up by
/// name or id (`service create --network nope`, `network rm nope`).
std::string network_not_found(const std::string& ref);

/// `network create` with a name a network holds (libnetwork's
/// NetworkNameError).
std::string network_name_exists(const std::string& name);

/// `network create bridge|host|none` (moby's notAllowedError).
std::string predefined_network(const std::string& name);

/// `network rm` of a network a service names (SwarmKit's removeNetwork,
/// FailedPrecondition).
std::string network_in_use(const std::string& network_id,
                           const std::string& service_id);

/// `network rm ingress` while a service publishes a port in ingress mode
/// (SwarmKit's removeIngressNetwork, FailedPrecondition).
std::string ingress_in_use(const std::string& service_id);

/// `--network ingress` (SwarmKit's validateNetworks, InvalidArgument).
std::string ingress_explicit(const std::string& name);

/// A published port another service holds (SwarmKit's checkPortConflicts,
/// InvalidArgument): `port '8000' is already in use by service 'web' (id)
/// as an ingress port` (`as a host-published port` when `host_mode`).
std::string port_in_use(uint32_t port, const std::string& service_name,
                        const std::string& service_id, bool host_mode);

} // namespace actorswarm::docker_text
