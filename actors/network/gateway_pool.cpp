#include "actors/network/gateway_pool.hpp"

namespace actorswarm::network {

gateway_pool::gateway_pool(os::ipv4_prefix subnet) : subnet_(subnet) {
  if (subnet.length < 8 || subnet.length > 30) {
    first_ = 1; // empty: take() refuses (the overlay refuses such a subnet)
    last_ = 0;
    next_ = 1;
    return;
  }
  auto mask = os::prefix_mask(subnet.length);
  auto net = subnet.addr.value & mask;
  first_ = net + 2; // net + 1 is the bridge's
  last_ = (net | ~mask) - 1;
  next_ = first_;
}

bool gateway_pool::usable(uint32_t x) const {
  return x >= first_ && x <= last_;
}

result<os::ipv4_prefix> gateway_pool::take() {
  // Bounded by the subnet's size: at most one pass over it.
  uint64_t size = uint64_t{last_} - first_ + 1;
  for (uint64_t i = 0; i < size; ++i) {
    auto x = next_;
    next_ = next_ == last_ ? first_ : next_ + 1;
    if (used_.insert(x).second)
      return os::ipv4_prefix{os::ipv4{x}, subnet_.length};
  }
  return fail(errc::refused, "no free address in the gateway subnet "
                               + os::to_string(subnet_));
}

bool gateway_pool::mark(os::ipv4 x) {
  if (!usable(x.value))
    return false;
  used_.insert(x.value);
  if (x.value >= next_)
    next_ = x.value == last_ ? first_ : x.value + 1;
  return true;
}

void gateway_pool::release(os::ipv4 x) {
  used_.erase(x.value);
}

} // namespace actorswarm::network
