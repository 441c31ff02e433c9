#pragma once

// The networks' subnets: the default address pools (`swarm init
// --default-addr-pool`, 10.0.0.0/8 by default) carved into subnets of
// `subnet_size` bits (`--default-addr-pool-mask-length`, 24 by default), as
// Docker does, plus the subnets users ask for. No two allocated subnets
// overlap. CAF-free; owned by one ipam.

#include <cstdint>
#include <map>
#include <vector>

#include "actors/allocator/ipv4.hpp"
#include "messages/result.hpp"

namespace actorswarm::allocator {

/// The pool of network subnets.
class subnet_pool {
public:
  /// `pools`: the default address pools, none overlapping another;
  /// `subnet_size`: the prefix length of the subnets carved from them, at
  /// least every pool's own. `excluded`: subnets never handed out by
  /// allocate() (ingress's 10.0.0.0/24) that reserve() may still take.
  /// Error (invalid_spec) on an empty pool list, overlapping pools or a
  /// subnet size out of 8..30 or shorter than a pool's prefix.
  static result<subnet_pool> make(std::vector<ipv4_subnet> pools,
                                  uint8_t subnet_size,
                                  std::vector<ipv4_subnet> excluded);

  /// The next free subnet of `subnet_size` in the pools, in pool order from
  /// one past the last one handed out (wrapping), that overlaps neither an
  /// allocated nor an excluded subnet. Error (refused):
  /// Docker's `could not find an available, non-overlapping IPv4 address
  /// pool among the defaults to assign to the network`.
  result<ipv4_subnet> allocate();

  /// Takes `x` (requested by the user, or restored from the store); it may
  /// lie outside the pools. Error (refused): `invalid pool request: Pool
  /// overlaps with other one on this address space` (libnetwork) when it
  /// overlaps an allocated subnet. Changes nothing on error.
  status reserve(const ipv4_subnet& x);

  /// Gives `x` back; false when it was not allocated (exactly).
  bool release(const ipv4_subnet& x);

  /// True when `x` is allocated exactly.
  bool allocated(const ipv4_subnet& x) const;

  /// The allocated subnet overlapping `x`, if any.
  const ipv4_subnet* overlapping(const ipv4_subnet& x) const;

  size_t allocated_count() const noexcept {
    return taken_.size();
  }

  uint8_t subnet_size() const noexcept {
    return subnet_size_;
  }

private:
  // The allocated or excluded subnet in `set` that overlaps `x`, if any.
  static const ipv4_subnet*
  overlap_in(const std::map<uint32_t, ipv4_subnet>& set, const ipv4_subnet& x);

  // The first candidate in [from, end of `pool`] that overlaps nothing;
  // false when there is none.
  bool first_free(const ipv4_subnet& pool, uint64_t from, uint32_t& out) const;

  std::vector<ipv4_subnet> pools_;
  uint8_t subnet_size_ = 24;
  // Allocated and excluded subnets by base address; neither set holds two
  // overlapping subnets, so a neighbour lookup finds any overlap.
  std::map<uint32_t, ipv4_subnet> taken_;
  std::map<uint32_t, ipv4_subnet> excluded_;
  // Where the next search starts: pool index and address (one past the last
  // subnet handed out).
  size_t cursor_pool_ = 0;
  uint64_t cursor_ = 0;
};

} // namespace actorswarm::allocator
