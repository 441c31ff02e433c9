#pragma once

// Docker's rules for networks and service endpoints, without CAF (SwarmKit:
// manager/controlapi/network.go, service.go validateEndpointSpec and
// checkPortConflicts; moby: daemon/cluster/networks.go, swarm.go): what a
// network spec must satisfy, how `network create` and `rm` turn into store
// batches, what `network ls` and `inspect` answer, the network settings of
// `swarm init` with its `ingress` network, and the network and port checks
// of `service create|update`. Subnets, VIPs, task addresses and unnamed
// published ports are not chosen here: the allocator writes them later
// (Network.ipam/vni, Service.endpoint, Task.networks).

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "actors/control/decision.hpp"
#include "actors/store/object_store.hpp"
#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::control {

// -- IPv4 text ---------------------------------------------------------------

/// An IPv4 prefix: the network address (host bits cleared) and its length.
struct ipv4_prefix {
  uint32_t addr = 0;
  uint32_t len = 0;
};

/// Parses a dotted quad ("10.0.1.1"); nothing on anything else.
std::optional<uint32_t> parse_ipv4(const std::string& x);

/// Parses "A.B.C.D/N" (N 0-32); host bits are cleared, as Go's
/// net.ParseCIDR returns the network. Nothing on anything else.
std::optional<ipv4_prefix> parse_cidr(const std::string& x);

/// The prefix's text, "10.0.1.0/24".
std::string to_string(const ipv4_prefix& p);

/// Whether `p` holds the address `a`.
bool contains(const ipv4_prefix& p, uint32_t a);

/// Whether two prefixes share an address.
bool overlaps(const ipv4_prefix& a, const ipv4_prefix& b);

// -- networks ----------------------------------------------------------------

/// Checks a network spec as `network create` does before anything is
/// stored: a valid name that is not predefined (bridge, host, none), the
/// driver overlay (empty becomes overlay; any other driver, bridge and host
/// included, is refused), a valid subnet and a gateway inside it (SwarmKit's
/// `ipam configuration: ...` texts), no gateway without a subnet. All
/// refusals are invalid_spec.
status validate_network_spec(pb::NetworkSpec& spec);

/// `network create`: validates `spec`, refuses a name a network holds
/// (name_conflict, libnetwork's `network with name X already exists`), a
/// second ingress network, and a subnet overlapping another network's
/// (given or allocated). The reply carries the new id as text and in ids.
result<write_decision> create_network(const store::object_store& view,
                                      pb::NetworkSpec spec,
                                      std::mt19937_64& gen, int64_t now_ns);

/// `network rm`: removes every named network in one atomic batch, or refuses
/// all: an unknown reference (not_found, `network X not found`), a network a
/// service names (refused, SwarmKit's `network X is in use by service Y`),
/// `ingress` while a service publishes a port in ingress mode (refused). The
/// reply echoes the references.
result<write_decision> remove_networks(const store::object_store& view,
                                       const pb::NetworkRemoveRequest& req,
                                       int64_t now_ns);

/// Resolves a network reference (id, unique id prefix, or name).
result<store::object_ptr<pb::Network>>
find_network(const store::object_store& view, const std::string& ref);

/// `network ls`: all networks, ordered by name.
pb::ControlReply list_networks(const store::object_store& view);

/// `network inspect`: the named networks in order, or the first reference
/// that matches nothing (`No such network: X`).
result<pb::ControlReply> inspect_networks(const store::object_store& view,
                                          const pb::NetworkInspectRequest& req);

// -- swarm init --------------------------------------------------------------

/// The network settings of `swarm init` (moby's validateDefaultAddrPool and
/// data path port check) into `spec`: each pool a valid CIDR, a mask length
/// of at most 29 and no shorter than any pool's prefix, a data path port of
/// 0 or 1024-49151. Defaults fill what the request leaves 0 or empty
/// (10.0.0.0/8, 24, 4789). invalid_spec with Docker's text on a bad value.
status apply_network_settings(const pb::SwarmInitRequest& req,
                              pb::ClusterSpec& spec);

/// The `ingress` network `swarm init` creates: Docker's 10.0.0.0/24 with
/// gateway 10.0.0.1, overlay, ingress; `id` given by the caller.
pb::Network make_ingress_network(const std::string& id);

/// The ingress network of `view`, or null.
store::object_ptr<pb::Network> ingress_network(const store::object_store& view);

// -- services ----------------------------------------------------------------

/// Whether a service with this spec joins `ingress`: it publishes a port in
/// ingress mode (SwarmKit's IsIngressNetworkNeeded).
bool needs_ingress(const pb::ServiceSpec& spec);

/// The network and endpoint checks of `service create|update` against
/// `view`, rewriting each attachment's target to the network's id:
/// an unknown network (not_found, `network X not found`), `ingress` named
/// explicitly, the same network twice; endpoint mode and ports (ports 1-65535,
/// published 0 or 1-65535, dnsrr with an ingress-mode port, the same
/// published port and protocol twice, SwarmKit's texts); a published port
/// another service holds (SwarmKit's checkPortConflicts; `service_id` is
/// the service being updated, empty on create); a service needing ingress
/// when there is none. invalid_spec but for not_found.
status check_service_networking(const store::object_store& view,
                                pb::ServiceSpec& spec,
                                const std::string& service_id);

/// Whether `svc` uses network `network_id`: names it, or (for ingress)
/// publishes in ingress mode.
bool uses_network(const pb::Service& svc, const pb::Network& net);

} // namespace actorswarm::control
