#pragma once

// SwarmKit's network allocation rules over the stored objects (its
// manager/allocator network.go), CAF-free: networks get a subnet, gateway
// and VXLAN id; services get their Endpoint (one virtual IP per network in
// endpoint mode VIP, none in DNSRR; ingress-mode published ports, 30000-32767
// when unnumbered); tasks get one address per network of their service
// (ingress too when the service publishes in ingress mode) and a copy of the
// service's Endpoint; nodes get one address each on the ingress network
// (their ingress sandbox's, SwarmKit's Node.Attachments, allocateNode). The
// allocator actor calls it once per commit and proposes what it returns; it
// owns one instance, on the leader only.
//
// What it holds is what it handed out (or restored), which may be ahead of
// the store while a proposal is in flight, and stays held when a proposal is
// refused (a stale update): asking again for the same network, service, task
// or node returns what it holds instead of allocating twice. Held resources go
// back when the object goes (release_*), or when a task is dead.

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/allocator/ipam.hpp"
#include "actors/allocator/port_allocator.hpp"
#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::allocator {

/// The cluster's address settings as ipam_config; error (invalid_spec) on an
/// unparsable default_addr_pool entry.
result<ipam_config> config_of(const pb::ClusterSpec& spec);

/// True once a network holds a subnet and a VXLAN id (then it is in use).
bool network_allocated(const pb::Network& n);

/// True when a task no longer needs its addresses: it left RUNNING for good
/// (SwarmKit's taskDead: its process is gone and never comes back).
bool task_dead(const pb::Task& t);

/// True when `e` holds nothing: no VIP, no port, a default spec. Such an
/// endpoint is never written (a service or task without networks and ports
/// stays as it was before networks existed). Proto3 serializes a present but
/// empty submessage, so compare with this, not bytes.
bool endpoint_empty(const pb::Endpoint& e);

/// True when `s` publishes a port in ingress mode (the routing mesh).
bool publishes_ingress(const pb::ServiceSpec& s);

/// True when tasks of `s` need network addresses at all: it names networks
/// or publishes a port in ingress mode.
bool service_on_networks(const pb::ServiceSpec& s);

/// The address part of "10.0.1.5/24" (or of a bare "10.0.1.5").
result<uint32_t> address_of(const std::string& text);

/// Allocation state of the whole cluster.
class network_allocator {
public:
  explicit network_allocator(ipam ip) : ip_(std::move(ip)) {
    // nop
  }

  // -- restore (a new leader, before anything else) ---------------------

  /// Takes an allocated network's subnet, gateway and VNI; an unallocated
  /// one is skipped (allocate_network later). Returns a conflict line, or
  /// empty. Call for every network before services and tasks.
  std::string restore_network(const pb::Network& n);

  /// Takes a service's allocated endpoint (VIPs, ingress ports). Conflict
  /// lines, one per resource not taken (nothing is merged).
  std::vector<std::string> restore_service(const pb::Service& s);

  /// Takes a live task's addresses (dead and unallocated tasks are
  /// skipped). Conflict lines, one per address not taken.
  std::vector<std::string> restore_task(const pb::Task& t);

  /// Takes a node's attachment addresses. An attachment on a network that
  /// holds no allocation (ingress removed) is skipped silently: it is stale,
  /// and allocate_node replaces it. Conflict lines, one per address not
  /// taken (the node then holds nothing there and gets a new address).
  std::vector<std::string> restore_node(const pb::Node& n);

  // -- allocation -------------------------------------------------------

  /// `n` with `ipam` (subnet, gateway) and `vni` filled: its spec's subnet
  /// and gateway when given, else the next free subnet of the pool. The
  /// same answer again for a network already held. Error: the pool's or
  /// the spec's refusal (nothing taken).
  result<pb::Network> allocate_network(const pb::Network& n);

  /// The Endpoint `s` must hold for its current spec: held VIPs and ports
  /// kept where the spec still asks for them, new ones taken, dropped ones
  /// released. Compare with s.endpoint() to know whether to write it. Error
  /// (nothing changes): a network not allocated (yet), an address pool
  /// exhausted, a published port taken.
  result<pb::Endpoint> allocate_service(const pb::Service& s);

  /// `t` with its networks (one address per network of `s`) and endpoint
  /// (`s`'s, as allocated) filled, or as held when asked again. `s` null:
  /// the task has no service (left without networks). Error (nothing
  /// taken): the service is not allocated, or an address pool is exhausted.
  result<pb::Task> allocate_task(const pb::Task& t, const pb::Service* s);

  /// `n` with exactly one attachment: on the ingress network, its address
  /// in CIDR form ("10.0.0.5/24"), no aliases; the held one when asked
  /// again, else a new one. Addresses held on other networks are released
  /// (their attachments replaced). Error (nothing changes): not_found when
  /// no ingress network is allocated (the node is left as it is: its stale
  /// attachments stay until an ingress exists), or the ingress pool's
  /// refusal (exhausted).
  result<pb::Node> allocate_node(const pb::Node& n);

  /// True when `n` carries exactly what allocate_node would give it: one
  /// attachment on the ingress network with the one address held for it.
  /// False without an ingress network.
  bool node_allocated(const pb::Node& n) const;

  // -- release ----------------------------------------------------------

  /// Releases a removed network (its subnet, VNI and addresses, and the
  /// nodes' holds there, which are dropped, not released twice); false when
  /// not held.
  bool release_network(const std::string& id);

  /// Releases a removed service's VIPs and ingress ports.
  bool release_service(const std::string& id);

  /// Releases a removed or dead task's addresses.
  bool release_task(const std::string& id);

  /// Releases a removed node's addresses; false when it held none.
  bool release_node(const std::string& id);

  // -- inspection -------------------------------------------------------

  const ipam& addresses() const noexcept {
    return ip_;
  }

  const port_allocator& ports() const noexcept {
    return ports_;
  }

  /// The network with spec.ingress, or empty.
  const std::string& ingress_id() const noexcept {
    return ingress_id_;
  }

  /// The Endpoint held for service `id`, or nullptr.
  const pb::Endpoint* endpoint(const std::string& id) const;

  /// Tasks holding addresses.
  size_t task_count() const noexcept {
    return tasks_.size();
  }

  /// Nodes holding addresses.
  size_t node_count() const noexcept {
    return nodes_.size();
  }

  /// True when node `id` holds an address.
  bool node_held(const std::string& id) const {
    return nodes_.count(id) != 0;
  }

private:
  struct address {
    std::string network_id;
    uint32_t addr = 0;
  };

  // The networks a service's tasks join, in order: spec.networks, then
  // ingress when it publishes in ingress mode. Error: ingress needed but
  // none exists.
  result<std::vector<std::string>> networks_of(const pb::ServiceSpec& s) const;

  // An interface text "10.0.1.5/24" of `addr` in network `id`.
  std::string cidr_text(const std::string& id, uint32_t addr) const;

  // Takes the ingress published ports of `spec` for service `id`, keeping
  // `held` ports where the spec still asks for them. Newly taken ports are
  // appended to `taken` (for a rollback).
  status allocate_ports(const std::string& id, const pb::EndpointSpec& spec,
                        const pb::Endpoint* held, pb::Endpoint& out,
                        std::vector<pb::PortConfig>& taken);

  void release_endpoint(const std::string& id, const pb::Endpoint& e);

  ipam ip_;
  port_allocator ports_;
  std::string ingress_id_;
  std::unordered_map<std::string, pb::Endpoint> services_;
  std::unordered_map<std::string, std::vector<address>> tasks_;
  std::unordered_map<std::string, std::vector<address>> nodes_;
};

} // namespace actorswarm::allocator
