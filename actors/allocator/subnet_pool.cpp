#include "actors/allocator/subnet_pool.hpp"

#include <algorithm>
#include <iterator>

#include "actors/allocator/address_pool.hpp"

namespace actorswarm::allocator {

namespace {

// Inserts `x` into a set of pairwise non-overlapping subnets (checked by the
// caller).
void insert(std::map<uint32_t, ipv4_subnet>& set, const ipv4_subnet& x) {
  set.emplace(x.base, x);
}

} // namespace

result<subnet_pool> subnet_pool::make(std::vector<ipv4_subnet> pools,
                                      uint8_t subnet_size,
                                      std::vector<ipv4_subnet> excluded) {
  if (pools.empty())
    return fail(errc::invalid_spec, "no default address pool given");
  if (subnet_size < network_prefix_len_min
      || subnet_size > network_prefix_len_max)
    return fail(errc::invalid_spec,
                "invalid default address pool mask length "
                  + std::to_string(subnet_size) + ": must be between "
                  + std::to_string(network_prefix_len_min) + " and "
                  + std::to_string(network_prefix_len_max));
  subnet_pool out;
  out.subnet_size_ = subnet_size;
  std::map<uint32_t, ipv4_subnet> seen;
  for (auto& p : pools) {
    if (p.prefix_len > subnet_size)
      return fail(errc::invalid_spec, "invalid default address pool "
                                        + to_string(p)
                                        + ": smaller than the mask length "
                                        + std::to_string(subnet_size));
    if (auto* o = overlap_in(seen, p))
      return fail(errc::invalid_spec, "default address pool " + to_string(p)
                                        + " overlaps " + to_string(*o));
    insert(seen, p);
  }
  out.pools_ = std::move(pools);
  out.cursor_ = out.pools_.front().base;
  for (auto& x : excluded)
    if (!overlap_in(out.excluded_, x))
      insert(out.excluded_, x);
  return out;
}

const ipv4_subnet*
subnet_pool::overlap_in(const std::map<uint32_t, ipv4_subnet>& set,
                        const ipv4_subnet& x) {
  // The entries are pairwise disjoint intervals sorted by base: only the
  // last one starting at or before x.base, and the first one starting after
  // it, can overlap x (a later one starts after the first, and x is one
  // interval).
  auto it = set.upper_bound(x.base);
  if (it != set.end() && it->second.overlaps(x))
    return &it->second;
  if (it != set.begin() && std::prev(it)->second.overlaps(x))
    return &std::prev(it)->second;
  return nullptr;
}

bool subnet_pool::first_free(const ipv4_subnet& pool, uint64_t from,
                             uint32_t& out) const {
  auto step = ipv4_subnet{0, subnet_size_}.size();
  uint64_t cand = std::max<uint64_t>(from, pool.base);
  uint64_t end = uint64_t{pool.last()} + 1;
  // Each round either returns or jumps past one taken or excluded subnet,
  // so the loop runs at most |taken| + |excluded| + 1 times.
  while (cand < end) {
    ipv4_subnet x{static_cast<uint32_t>(cand), subnet_size_};
    auto* o = overlap_in(taken_, x);
    if (!o)
      o = overlap_in(excluded_, x);
    if (!o) {
      out = x.base;
      return true;
    }
    // Jump to the first aligned candidate after the overlapping subnet.
    auto next = uint64_t{o->last()} + 1;
    cand = (next + step - 1) / step * step;
  }
  return false;
}

result<ipv4_subnet> subnet_pool::allocate() {
  // Rotating, as addresses are (address_pool::allocate): a network removed
  // a moment ago may still have devices, neighbour entries and DNS answers
  // on nodes that have not caught up, so its subnet is reused last. It also
  // keeps allocation cheap: first fit from the start would walk every
  // allocated subnet each time. Pools from the cursor's on, then from the
  // first one again up to the cursor's pool included: n + 1 rounds.
  auto n = pools_.size();
  for (size_t i = 0; i <= n; ++i) {
    auto pi = (cursor_pool_ + i) % n;
    auto& p = pools_[pi];
    auto from = i == 0 ? cursor_ : uint64_t{p.base};
    uint32_t base = 0;
    if (first_free(p, from, base)) {
      ipv4_subnet x{base, subnet_size_};
      insert(taken_, x);
      cursor_pool_ = pi;
      cursor_ = uint64_t{x.last()} + 1;
      return x;
    }
  }
  return fail(errc::refused,
              "could not find an available, non-overlapping IPv4 address "
              "pool among the defaults to assign to the network");
}

status subnet_pool::reserve(const ipv4_subnet& x) {
  if (overlap_in(taken_, x))
    return fail(errc::refused, "invalid pool request: Pool overlaps with "
                               "other one on this address space");
  insert(taken_, x);
  return ok_status();
}

bool subnet_pool::release(const ipv4_subnet& x) {
  auto it = taken_.find(x.base);
  if (it == taken_.end() || it->second != x)
    return false;
  taken_.erase(it);
  return true;
}

bool subnet_pool::allocated(const ipv4_subnet& x) const {
  auto it = taken_.find(x.base);
  return it != taken_.end() && it->second == x;
}

const ipv4_subnet* subnet_pool::overlapping(const ipv4_subnet& x) const {
  return overlap_in(taken_, x);
}

} // namespace actorswarm::allocator
