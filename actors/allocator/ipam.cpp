#include "actors/allocator/ipam.hpp"

namespace actorswarm::allocator {

result<ipam> ipam::make(const ipam_config& cfg) {
  auto pools = cfg.default_pools;
  if (pools.empty())
    pools.push_back(default_addr_pool);
  auto size = cfg.subnet_size == 0 ? default_subnet_size : cfg.subnet_size;
  auto sp = subnet_pool::make(std::move(pools), size, {ingress_subnet});
  if (!sp)
    return sp.error();
  return ipam{std::move(*sp)};
}

result<uint32_t> ipam::pick_vni(std::optional<uint32_t> vni) const {
  if (vni) {
    if (*vni < vni_first || *vni > vni_last)
      return fail(errc::invalid_spec, "invalid VXLAN id " + std::to_string(*vni)
                                        + ": must be "
                                        + std::to_string(vni_first) + "-"
                                        + std::to_string(vni_last));
    if (vnis_.count(*vni) != 0)
      return fail(errc::refused,
                  "VXLAN id " + std::to_string(*vni) + " is already in use");
    return *vni;
  }
  // The first free id at or after the cursor, wrapping once: the used ids
  // after the cursor are walked in order, so this is O(used) at worst.
  auto next_free = [this](uint32_t from, uint32_t to) -> uint32_t {
    auto it = vnis_.lower_bound(from);
    for (auto x = from; x <= to; ++x, ++it)
      if (it == vnis_.end() || *it != x)
        return x;
    return 0;
  };
  if (auto x = next_free(vni_cursor_, vni_last))
    return x;
  if (auto x = next_free(vni_first, vni_last))
    return x;
  return fail(errc::refused, "no available VXLAN id");
}

result<network_allocation> ipam::add_network(const std::string& id,
                                             std::optional<ipv4_subnet> subnet,
                                             std::optional<uint32_t> gateway,
                                             std::optional<uint32_t> vni) {
  if (networks_.count(id) != 0)
    return fail(errc::name_conflict,
                "network " + id + " already has an allocation");
  auto v = pick_vni(vni);
  if (!v)
    return v.error();
  // The subnet last: allocate() takes it at once, so everything that can
  // fail is checked before.
  ipv4_subnet sn;
  if (subnet) {
    if (subnets_.overlapping(*subnet))
      return fail(errc::refused, "invalid pool request: Pool overlaps with "
                                 "other one on this address space");
    sn = *subnet;
  } else {
    auto x = subnets_.allocate();
    if (!x)
      return x.error();
    sn = *x;
    subnets_.release(sn); // taken for real below, once the pool is made
  }
  auto pool = address_pool::make(sn, gateway);
  if (!pool)
    return pool.error();
  auto st = subnets_.reserve(sn);
  if (!st)
    return st.error();
  network_allocation a{sn, pool->gateway(), *v};
  vnis_.insert(a.vni);
  vni_cursor_ = a.vni == vni_last ? vni_first : a.vni + 1;
  networks_.emplace(id, entry{a, std::move(*pool)});
  return a;
}

bool ipam::remove_network(const std::string& id) {
  auto it = networks_.find(id);
  if (it == networks_.end())
    return false;
  subnets_.release(it->second.alloc.subnet);
  vnis_.erase(it->second.alloc.vni);
  networks_.erase(it);
  return true;
}

const network_allocation* ipam::network(const std::string& id) const {
  auto it = networks_.find(id);
  return it == networks_.end() ? nullptr : &it->second.alloc;
}

result<uint32_t> ipam::allocate_address(const std::string& id) {
  auto it = networks_.find(id);
  if (it == networks_.end())
    return fail(errc::not_found, "network " + id + " has no subnet");
  return it->second.addrs.allocate();
}

status ipam::reserve_address(const std::string& id, uint32_t addr) {
  auto it = networks_.find(id);
  if (it == networks_.end())
    return fail(errc::not_found, "network " + id + " has no subnet");
  return it->second.addrs.reserve(addr);
}

bool ipam::release_address(const std::string& id, uint32_t addr) {
  auto it = networks_.find(id);
  return it != networks_.end() && it->second.addrs.release(addr);
}

bool ipam::address_in_use(const std::string& id, uint32_t addr) const {
  auto it = networks_.find(id);
  return it != networks_.end() && it->second.addrs.in_use(addr);
}

uint64_t ipam::free_addresses(const std::string& id) const {
  auto it = networks_.find(id);
  return it == networks_.end() ? 0 : it->second.addrs.free_count();
}

// -- restore --------------------------------------------------------------

namespace {

std::string restore_network(ipam& ip, const network_record& n) {
  auto sn = parse_subnet(n.subnet);
  if (!sn)
    return "network " + n.id + ": " + sn.error().message;
  std::optional<uint32_t> gw;
  if (!n.gateway.empty()) {
    auto g = parse_ipv4(n.gateway);
    if (!g)
      return "network " + n.id + ": " + g.error().message;
    gw = *g;
  }
  std::optional<uint32_t> vni;
  if (n.vni != 0)
    vni = n.vni;
  auto a = ip.add_network(n.id, *sn, gw, vni);
  if (!a)
    return "network " + n.id + " (" + n.subnet + "): " + a.error().message;
  return {};
}

std::string restore_address(ipam& ip, const address_record& r) {
  auto where = r.owner + " on network " + r.network_id + ": ";
  auto a = r.address.find('/') == std::string::npos
             ? parse_ipv4(r.address)
             : [&]() -> result<uint32_t> {
    auto x = parse_interface(r.address);
    if (!x)
      return x.error();
    return x->addr;
  }();
  if (!a)
    return where + a.error().message;
  auto st = ip.reserve_address(r.network_id, *a);
  if (!st)
    return where + r.address + ": " + st.error().message;
  return {};
}

} // namespace

std::vector<std::string> restore(ipam& ip, port_allocator& ports,
                                 const std::vector<network_record>& networks,
                                 const std::vector<address_record>& addresses,
                                 const std::vector<port_record>& published) {
  std::vector<std::string> conflicts;
  auto note = [&](std::string line) {
    if (!line.empty())
      conflicts.push_back(std::move(line));
  };
  for (auto& n : networks)
    if (!n.subnet.empty())
      note(restore_network(ip, n));
  for (auto& r : addresses)
    note(restore_address(ip, r));
  for (auto& p : published) {
    auto st = ports.reserve(p.protocol, p.port, p.owner);
    if (!st)
      note("service " + p.owner + ": published port " + std::to_string(p.port)
           + "/" + to_string(p.protocol) + ": " + st.error().message);
  }
  return conflicts;
}

} // namespace actorswarm::allocator
