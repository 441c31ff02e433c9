#include "actors/allocator/address_pool.hpp"

namespace actorswarm::allocator {

result<address_pool> address_pool::make(const ipv4_subnet& subnet,
                                        std::optional<uint32_t> gateway) {
  if (subnet.prefix_len > network_prefix_len_max
      || subnet.prefix_len < network_prefix_len_min)
    return fail(errc::invalid_spec, "invalid subnet " + to_string(subnet)
                                      + ": the prefix length must be between "
                                      + std::to_string(network_prefix_len_min)
                                      + " and "
                                      + std::to_string(network_prefix_len_max));
  auto gw = gateway ? *gateway : subnet.base + 1;
  if (!subnet.contains(gw) || gw == subnet.base || gw == subnet.last())
    return fail(errc::invalid_spec,
                "no matching subnet for gateway " + to_string(gw));
  return address_pool{subnet, gw};
}

address_pool::address_pool(const ipv4_subnet& subnet, uint32_t gateway)
  : subnet_(subnet), gateway_(gateway) {
  auto n = subnet.size();
  bits_.assign((n + 63) / 64, 0);
  flip(0);
  flip(n - 1);
  flip(gateway - subnet.base);
  usable_ = n - 3;
  // Start after the gateway, as libnetwork does: with the default gateway
  // (.1) the first task gets .2.
  cursor_ = gateway - subnet.base + 1;
}

uint64_t address_pool::find_clear(uint64_t from) const noexcept {
  auto n = subnet_.size();
  if (from >= n)
    return n;
  auto w = from >> 6;
  // Mask off the bits below `from` in its word (treat them as set).
  auto word = ~bits_[w] & (~uint64_t{0} << (from & 63));
  for (;;) {
    if (word != 0) {
      auto off = (w << 6) + static_cast<uint64_t>(__builtin_ctzll(word));
      return off < n ? off : n;
    }
    if (++w == bits_.size())
      return n;
    word = ~bits_[w];
  }
}

result<uint32_t> address_pool::allocate() {
  if (free_count() == 0)
    return fail(errc::refused, "no available addresses on this pool");
  // Rotating cursor (libnetwork's serial allocation): search from one past
  // the last address handed out, so a just-released address is reused last.
  // A released address may still sit in peers' neighbour and FDB entries,
  // DNS caches and the VIP balancing rules of nodes that have not caught up
  // yet, and clients may hold connections to it: handing it straight to a
  // new task would send them to the wrong task.
  auto off = find_clear(cursor_);
  if (off == subnet_.size())
    off = find_clear(0);
  // free_count() > 0, so some bit is clear.
  flip(off);
  ++used_;
  cursor_ = off + 1;
  return static_cast<uint32_t>(subnet_.base + off);
}

status address_pool::reserve(uint32_t addr) {
  if (!subnet_.contains(addr) || addr == subnet_.base || addr == subnet_.last())
    return fail(errc::invalid_spec, "requested address " + to_string(addr)
                                      + " is out of range "
                                      + to_string(subnet_));
  if (addr == gateway_)
    return fail(errc::invalid_spec, "requested address " + to_string(addr)
                                      + " is the gateway of "
                                      + to_string(subnet_));
  auto off = uint64_t{addr - subnet_.base};
  if (test(off))
    return fail(errc::refused, "Address already in use: " + to_string(addr));
  flip(off);
  ++used_;
  return ok_status();
}

bool address_pool::release(uint32_t addr) {
  if (!subnet_.contains(addr) || addr == subnet_.base || addr == subnet_.last()
      || addr == gateway_)
    return false;
  auto off = uint64_t{addr - subnet_.base};
  if (!test(off))
    return false;
  flip(off);
  --used_;
  return true;
}

bool address_pool::in_use(uint32_t addr) const {
  return subnet_.contains(addr) && test(addr - subnet_.base);
}

} // namespace actorswarm::allocator
