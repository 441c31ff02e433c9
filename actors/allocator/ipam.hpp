#pragma once

// IP address management for the allocator (SwarmKit's ipam + overlay driver
// allocation, on the leader): a subnet, gateway and VXLAN id (VNI) per
// network, and the addresses handed out in each network (task addresses and
// services' virtual IPs). CAF-free and deterministic. The allocator actor
// owns one; the store is the truth: a new leader builds a fresh ipam and
// restore()s it from the store's networks, services and tasks before it
// allocates anything, so nothing is handed out twice across a failover.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/allocator/address_pool.hpp"
#include "actors/allocator/ipv4.hpp"
#include "actors/allocator/port_allocator.hpp"
#include "actors/allocator/subnet_pool.hpp"
#include "messages/result.hpp"

namespace actorswarm::allocator {

/// Docker's default address pool, and the subnet size carved from it.
constexpr ipv4_subnet default_addr_pool{0x0a000000, 8}; // 10.0.0.0/8
constexpr uint8_t default_subnet_size = 24;

/// The `ingress` network's subnet (Docker's 10.0.0.0/24): never handed out
/// from the default pool, so ingress can always take it.
constexpr ipv4_subnet ingress_subnet{0x0a000000, 24};

/// VXLAN ids of networks: 4096 and up, as Docker's overlay driver, below
/// 2^24 (the 24-bit VNI field).
constexpr uint32_t vni_first = 4096;
constexpr uint32_t vni_last = (uint32_t{1} << 24) - 1;

/// The cluster's address settings (Cluster default_addr_pool, subnet_size).
struct ipam_config {
  /// The default address pools; empty: {10.0.0.0/8}.
  std::vector<ipv4_subnet> default_pools;
  /// The prefix length of the subnets carved from them; 0: 24.
  uint8_t subnet_size = 0;
};

/// What a network holds.
struct network_allocation {
  ipv4_subnet subnet;
  uint32_t gateway = 0;
  uint32_t vni = 0;
};

/// Subnets, gateways, VNIs and addresses of all networks.
class ipam {
public:
  /// Error (invalid_spec) on a bad config (see subnet_pool::make).
  static result<ipam> make(const ipam_config& cfg);

  /// Allocates network `id`: `subnet` when given (refused when it overlaps
  /// another network's), else the next free one of the pools; `gateway`
  /// when given (inside the subnet), else the subnet's first address; `vni`
  /// when given (refused when taken or out of vni_first..vni_last), else
  /// the next free one. Refused (name_conflict) when `id` has one already.
  /// All or nothing: changes nothing on error.
  result<network_allocation> add_network(const std::string& id,
                                         std::optional<ipv4_subnet> subnet,
                                         std::optional<uint32_t> gateway,
                                         std::optional<uint32_t> vni);

  /// Releases network `id`: its subnet, VNI and every address in it. False
  /// when it has no allocation.
  bool remove_network(const std::string& id);

  /// Network `id`'s allocation, or nullptr.
  const network_allocation* network(const std::string& id) const;

  /// The next free address of network `id` (see address_pool::allocate).
  /// Error (not_found) when the network has no allocation.
  result<uint32_t> allocate_address(const std::string& id);

  /// Takes `addr` in network `id` (a requested or restored address).
  status reserve_address(const std::string& id, uint32_t addr);

  /// Gives `addr` back to network `id`; false when it was not taken.
  bool release_address(const std::string& id, uint32_t addr);

  /// True when `addr` is taken in network `id`.
  bool address_in_use(const std::string& id, uint32_t addr) const;

  /// Free addresses of network `id` (0 when unknown).
  uint64_t free_addresses(const std::string& id) const;

  size_t network_count() const noexcept {
    return networks_.size();
  }

private:
  explicit ipam(subnet_pool pool) : subnets_(std::move(pool)) {
    // nop
  }

  struct entry {
    network_allocation alloc;
    address_pool addrs;
  };

  result<uint32_t> pick_vni(std::optional<uint32_t> vni) const;

  subnet_pool subnets_;
  std::unordered_map<std::string, entry> networks_;
  std::set<uint32_t> vnis_;
  // The next VNI to try: rotating, as addresses are.
  uint32_t vni_cursor_ = vni_first;
};

// -- restore --------------------------------------------------------------

/// A network as the store holds it. `subnet` empty: not allocated yet
/// (skipped: the allocator allocates it afterwards).
struct network_record {
  std::string id;
  std::string subnet;  ///< "10.0.1.0/24"
  std::string gateway; ///< "10.0.1.1"; empty: the first address
  uint32_t vni = 0;    ///< 0: none yet (one is picked)
};

/// An address held in the store: a task's network attachment or a service's
/// virtual IP.
struct address_record {
  std::string network_id;
  std::string address; ///< "10.0.1.5/24" or "10.0.1.5"
  std::string owner;   ///< for conflict lines, e.g. "task 3k2j..."
};

/// A published ingress port held in the store (a service endpoint's port).
struct port_record {
  port_protocol protocol = port_protocol::tcp;
  uint32_t port = 0;
  std::string owner; ///< the service id
};

/// Rebuilds `ip` and `ports` (both fresh) from the store's records, networks
/// first. Records that conflict with what came before (overlapping subnets,
/// a VNI twice, an address twice or outside its network, an unknown
/// network, a port twice) are not taken and come back as one line each:
/// the caller logs them (the first holder keeps the resource; nothing is
/// merged silently). Networks whose VNI is 0 get one here.
std::vector<std::string> restore(ipam& ip, port_allocator& ports,
                                 const std::vector<network_record>& networks,
                                 const std::vector<address_record>& addresses,
                                 const std::vector<port_record>& published);

} // namespace actorswarm::allocator
