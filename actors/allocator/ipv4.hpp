#pragma once

// IPv4 addresses and CIDR subnets as plain numbers: parsing, formatting and
// the checks the allocator and the control rules need (invalid CIDR, host
// bits set, overlap, containment). CAF-free; no IO. Texts are Docker's where
// Docker has one (Go's net.ParseCIDR and moby's network validation).

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace actorswarm::allocator {

/// An IPv4 subnet: `base` in host byte order with no host bits set, and its
/// prefix length 0..32.
struct ipv4_subnet {
  uint32_t base = 0;
  uint8_t prefix_len = 0;

  /// The netmask, e.g. 0xffffff00 for a /24.
  uint32_t mask() const noexcept {
    return prefix_len == 0 ? 0u : ~uint32_t{0} << (32 - prefix_len);
  }

  /// The number of addresses in the subnet (2^(32 - prefix_len)).
  uint64_t size() const noexcept {
    return uint64_t{1} << (32 - prefix_len);
  }

  /// The last address (the broadcast address of a network).
  uint32_t last() const noexcept {
    return base | ~mask();
  }

  bool contains(uint32_t addr) const noexcept {
    return (addr & mask()) == base;
  }

  bool contains(const ipv4_subnet& x) const noexcept {
    return x.prefix_len >= prefix_len && contains(x.base);
  }

  bool overlaps(const ipv4_subnet& x) const noexcept {
    return contains(x) || x.contains(*this);
  }

  friend bool operator==(const ipv4_subnet& x, const ipv4_subnet& y) {
    return x.base == y.base && x.prefix_len == y.prefix_len;
  }

  friend bool operator!=(const ipv4_subnet& x, const ipv4_subnet& y) {
    return !(x == y);
  }
};

/// Parses a dotted quad ("10.0.1.5"). Error (invalid_spec): `invalid IP
/// address: <text>`.
result<uint32_t> parse_ipv4(std::string_view text);

/// Parses a subnet in CIDR form ("10.0.1.0/24"). Errors (invalid_spec):
/// `invalid CIDR address: <text>` when malformed (Go's net.ParseCIDR), and
/// `invalid subnet 10.0.1.1/24: it should be 10.0.1.0/24` when host bits are
/// set (moby's network config validation).
result<ipv4_subnet> parse_subnet(std::string_view text);

/// An address with its subnet's prefix length ("10.0.1.5/24"), the form
/// SwarmKit stores task addresses and virtual IPs in.
struct ipv4_interface {
  uint32_t addr = 0;
  uint8_t prefix_len = 0;

  ipv4_subnet subnet() const noexcept {
    ipv4_subnet x{0, prefix_len};
    x.base = addr & x.mask();
    return x;
  }
};

/// Parses "10.0.1.5/24" (host bits expected). Error (invalid_spec): `invalid
/// CIDR address: <text>`.
result<ipv4_interface> parse_interface(std::string_view text);

/// "10.0.1.5".
std::string to_string(uint32_t addr);

/// "10.0.1.0/24".
std::string to_string(const ipv4_subnet& x);

/// "10.0.1.5/24".
std::string to_string(const ipv4_interface& x);

} // namespace actorswarm::allocator
