#pragma once

// The node-local addresses of tasks' gateway legs (os/overlay.hpp, the
// gateway): handed out by the network plane, never to two tasks at once.
// Next-fit: the search starts after the address handed out last, so an
// address just released (whose old leg may still die with its namespace) is
// not handed out again until the subnet wrapped around. Pure logic, no IO.

#include <cstdint>
#include <set>

#include "messages/result.hpp"
#include "os/net_names.hpp"

namespace actorswarm::network {

class gateway_pool {
public:
  /// `subnet`: the gateway subnet (prefix length 8..30, else nothing is
  /// handed out). Its network, first (the bridge's) and broadcast addresses
  /// are never handed out.
  explicit gateway_pool(os::ipv4_prefix subnet);

  /// A free address with the subnet's prefix length; errc::refused when all
  /// are taken.
  result<os::ipv4_prefix> take();

  /// Marks `x` taken (a leg adopted after a restart). False when it is not
  /// an address take() could hand out.
  bool mark(os::ipv4 x);

  /// Gives `x` back; unknown addresses are ignored.
  void release(os::ipv4 x);

  /// Addresses taken.
  size_t used() const {
    return used_.size();
  }

private:
  bool usable(uint32_t x) const;

  os::ipv4_prefix subnet_;
  uint32_t first_ = 0; // lowest address take() hands out
  uint32_t last_ = 0;  // highest
  uint32_t next_ = 0;  // where the next search starts
  std::set<uint32_t> used_;
};

} // namespace actorswarm::network
