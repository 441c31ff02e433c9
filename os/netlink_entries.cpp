#include "os/netlink.hpp"

#include "os/netlink_libnl.hpp"

// Addresses, routes, FDB and neighbour entries of a netlink_conn.

namespace actorswarm::os {

using namespace nl_detail;

// -- addresses and routes -----------------------------------------------------

result<std::vector<ipv4_prefix>> netlink_conn::addresses(int index) {
  nl_cache* raw = nullptr;
  if (auto err = rtnl_addr_alloc_cache(sock_, &raw); err < 0)
    return nl_fail("list addresses", err);
  cache_ptr cache{raw};
  std::vector<ipv4_prefix> out;
  each_object(raw, [&](nl_object* obj) {
    auto* a = reinterpret_cast<rtnl_addr*>(obj);
    ipv4 ip;
    if (rtnl_addr_get_family(a) == AF_INET && rtnl_addr_get_ifindex(a) == index
        && read_ipv4(rtnl_addr_get_local(a), ip))
      out.push_back(ipv4_prefix{
        ip, static_cast<uint8_t>(rtnl_addr_get_prefixlen(a))});
  });
  return out;
}

result<int> netlink_conn::index_of_address(ipv4 addr) {
  nl_cache* raw = nullptr;
  if (auto err = rtnl_addr_alloc_cache(sock_, &raw); err < 0)
    return nl_fail("list addresses", err);
  cache_ptr cache{raw};
  int found = 0;
  each_object(raw, [&](nl_object* obj) {
    auto* a = reinterpret_cast<rtnl_addr*>(obj);
    ipv4 ip;
    if (found == 0 && rtnl_addr_get_family(a) == AF_INET
        && read_ipv4(rtnl_addr_get_local(a), ip) && ip == addr)
      found = rtnl_addr_get_ifindex(a);
  });
  if (found == 0)
    return fail(errc::not_found, "no device has address " + to_string(addr));
  return found;
}

namespace {

rtaddr_ptr make_rtaddr(int index, const ipv4_prefix& addr) {
  rtaddr_ptr a{rtnl_addr_alloc()};
  auto local = make_addr(addr.addr, addr.length);
  if (!a || !local)
    return nullptr;
  rtnl_addr_set_ifindex(a.get(), index);
  rtnl_addr_set_family(a.get(), AF_INET);
  if (rtnl_addr_set_local(a.get(), local.get()) < 0)
    return nullptr;
  rtnl_addr_set_prefixlen(a.get(), addr.length);
  return a;
}

} // namespace

status netlink_conn::add_address(int index, const ipv4_prefix& addr) {
  auto a = make_rtaddr(index, addr);
  if (!a)
    return fail(errc::internal, "netlink: out of memory");
  auto err = rtnl_addr_add(sock_, a.get(), 0);
  if (err < 0 && err != -NLE_EXIST)
    return nl_fail("add address " + to_string(addr), err);
  return ok_status();
}

status netlink_conn::delete_address(int index, const ipv4_prefix& addr) {
  auto a = make_rtaddr(index, addr);
  if (!a)
    return fail(errc::internal, "netlink: out of memory");
  if (auto err = rtnl_addr_delete(sock_, a.get(), 0); err < 0)
    return nl_fail("delete address " + to_string(addr), err);
  return ok_status();
}

status netlink_conn::set_default_route(ipv4 gateway, int index) {
  route_ptr r{rtnl_route_alloc()};
  auto dst = make_addr(ipv4{0}, 0);
  auto gw = make_addr(gateway);
  auto* nh = rtnl_route_nh_alloc();
  if (!r || !dst || !gw || nh == nullptr) {
    if (nh != nullptr)
      rtnl_route_nh_free(nh);
    return fail(errc::internal, "netlink: out of memory");
  }
  rtnl_route_set_family(r.get(), AF_INET);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(r.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_protocol(r.get(), RTPROT_STATIC);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  rtnl_route_set_dst(r.get(), dst.get());
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(r.get(), nh); // the route owns it now
  if (auto err = rtnl_route_add(sock_, r.get(), NLM_F_CREATE | NLM_F_REPLACE);
      err < 0)
    return nl_fail("default route via " + to_string(gateway), err);
  return ok_status();
}

// -- FDB and neighbour entries ------------------------------------------------

result<std::vector<fdb_entry>> netlink_conn::fdb(int index) {
  nl_cache* raw = nullptr;
  // AF_ITER: one dump per family of the cache (AF_UNSPEC, AF_BRIDGE); the
  // FDB comes with AF_BRIDGE only.
  if (auto err = rtnl_neigh_alloc_cache_flags(sock_, &raw, NL_CACHE_AF_ITER);
      err < 0)
    return nl_fail("list fdb", err);
  cache_ptr cache{raw};
  std::vector<fdb_entry> out;
  each_object(raw, [&](nl_object* obj) {
    auto* n = reinterpret_cast<rtnl_neigh*>(obj);
    fdb_entry e;
    if (rtnl_neigh_get_family(n) == AF_BRIDGE
        && rtnl_neigh_get_ifindex(n) == index
        && (rtnl_neigh_get_flags(n) & NTF_SELF) != 0
        && (rtnl_neigh_get_state(n) & NUD_PERMANENT) != 0
        && read_mac(rtnl_neigh_get_lladdr(n), e.mac)
        && read_ipv4(rtnl_neigh_get_dst(n), e.dst))
      out.push_back(e);
  });
  return out;
}

status netlink_conn::set_fdb(int index, const fdb_entry& entry) {
  auto n = make_neigh(index, entry.dst, &entry.mac, true);
  if (!n)
    return fail(errc::internal, "netlink: out of memory");
  if (auto err = rtnl_neigh_add(sock_, n.get(), NLM_F_CREATE | NLM_F_REPLACE);
      err < 0)
    return nl_fail("fdb " + to_string(entry.mac) + " dst "
                     + to_string(entry.dst),
                   err);
  return ok_status();
}

status netlink_conn::delete_fdb(int index, const fdb_entry& entry) {
  auto n = make_neigh(index, entry.dst, &entry.mac, true);
  if (!n)
    return fail(errc::internal, "netlink: out of memory");
  auto err = rtnl_neigh_delete(sock_, n.get(), 0);
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR)
    return nl_fail("delete fdb " + to_string(entry.mac), err);
  return ok_status();
}

result<std::vector<neigh_entry>> netlink_conn::neighbours(int index) {
  nl_cache* raw = nullptr;
  if (auto err = rtnl_neigh_alloc_cache(sock_, &raw); err < 0)
    return nl_fail("list neighbours", err);
  cache_ptr cache{raw};
  std::vector<neigh_entry> out;
  each_object(raw, [&](nl_object* obj) {
    auto* n = reinterpret_cast<rtnl_neigh*>(obj);
    neigh_entry e;
    if (rtnl_neigh_get_family(n) == AF_INET
        && rtnl_neigh_get_ifindex(n) == index
        && (rtnl_neigh_get_state(n) & NUD_PERMANENT) != 0
        && read_ipv4(rtnl_neigh_get_dst(n), e.ip)
        && read_mac(rtnl_neigh_get_lladdr(n), e.mac))
      out.push_back(e);
  });
  return out;
}

status netlink_conn::set_neighbour(int index, const neigh_entry& entry) {
  auto n = make_neigh(index, entry.ip, &entry.mac, false);
  if (!n)
    return fail(errc::internal, "netlink: out of memory");
  if (auto err = rtnl_neigh_add(sock_, n.get(), NLM_F_CREATE | NLM_F_REPLACE);
      err < 0)
    return nl_fail("neighbour " + to_string(entry.ip), err);
  return ok_status();
}

status netlink_conn::delete_neighbour(int index, ipv4 ip) {
  auto n = make_neigh(index, ip, nullptr, false);
  if (!n)
    return fail(errc::internal, "netlink: out of memory");
  auto err = rtnl_neigh_delete(sock_, n.get(), 0);
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR)
    return nl_fail("delete neighbour " + to_string(ip), err);
  return ok_status();
}

} // namespace actorswarm::os
