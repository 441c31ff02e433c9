#pragma once

// The addresses of one network's subnet: which are handed out (task
// addresses, virtual IPs) and which are free. A bitmap, one bit per address
// of the subnet, with a rotating cursor. CAF-free; owned by one ipam (the
// allocator on the leader), rebuilt from the store on a new leader.

#include <cstdint>
#include <optional>
#include <vector>

#include "actors/allocator/ipv4.hpp"
#include "messages/result.hpp"

namespace actorswarm::allocator {

/// The smallest and largest subnets a network may have: a /30 holds one
/// address besides its gateway; a /8 costs a 2 MiB bitmap.
constexpr uint8_t network_prefix_len_max = 30;
constexpr uint8_t network_prefix_len_min = 8;

/// Addresses of one subnet. The network address, the broadcast address and
/// the gateway are never handed out.
class address_pool {
public:
  /// A pool over `subnet` (prefix length 8..30) with `gateway` (the first
  /// address when not given). Errors (invalid_spec): the subnet's size out
  /// of range; `no matching subnet for gateway <ip>` (moby) when the gateway
  /// is not a host address of the subnet.
  static result<address_pool> make(const ipv4_subnet& subnet,
                                   std::optional<uint32_t> gateway);

  /// The next free address after the last one handed out (wrapping).
  /// Error (refused): `no available addresses on this pool` (libnetwork's
  /// ErrNoAvailableIPs) when every address is taken.
  result<uint32_t> allocate();

  /// Takes `addr` (a requested address, or one restored from the store).
  /// Errors: out of the subnet, the network/broadcast address or the
  /// gateway (invalid_spec); already taken (refused). Changes nothing on
  /// error.
  status reserve(uint32_t addr);

  /// Gives `addr` back; false when it was not taken (nothing changes).
  bool release(uint32_t addr);

  /// True when `addr` is handed out (the gateway counts as taken).
  bool in_use(uint32_t addr) const;

  const ipv4_subnet& subnet() const noexcept {
    return subnet_;
  }

  uint32_t gateway() const noexcept {
    return gateway_;
  }

  /// Addresses that allocate() may still hand out.
  uint64_t free_count() const noexcept {
    return usable_ - used_;
  }

private:
  address_pool(const ipv4_subnet& subnet, uint32_t gateway);

  bool test(uint64_t off) const noexcept {
    return (bits_[off >> 6] >> (off & 63)) & 1u;
  }

  void flip(uint64_t off) noexcept {
    bits_[off >> 6] ^= uint64_t{1} << (off & 63);
  }

  // The first clear bit at or after `from`, or size when none.
  uint64_t find_clear(uint64_t from) const noexcept;

  ipv4_subnet subnet_;
  uint32_t gateway_ = 0;
  // One bit per address of the subnet (offset from its base); the network
  // and broadcast addresses and the gateway are set from the start.
  std::vector<uint64_t> bits_;
  // Where the next search starts: one past the last address handed out.
  uint64_t cursor_ = 0;
  uint64_t usable_ = 0; // size - network - broadcast - gateway
  uint64_t used_ = 0;   // handed out, gateway excluded
};

} // namespace actorswarm::allocator
