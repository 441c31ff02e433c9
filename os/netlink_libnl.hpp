#pragma once

// Internal to os/netlink*.cpp: libnl ownership and conversions. Only the
// netlink implementation files include it (it brings libnl's headers).

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "os/netlink.hpp"

namespace actorswarm::os::nl_detail {

// -- libnl object ownership ---------------------------------------------------

struct link_del {
  void operator()(rtnl_link* x) const {
    rtnl_link_put(x);
  }
};
struct addr_del {
  void operator()(nl_addr* x) const {
    nl_addr_put(x);
  }
};
struct rtaddr_del {
  void operator()(rtnl_addr* x) const {
    rtnl_addr_put(x);
  }
};
struct neigh_del {
  void operator()(rtnl_neigh* x) const {
    rtnl_neigh_put(x);
  }
};
struct route_del {
  void operator()(rtnl_route* x) const {
    rtnl_route_put(x);
  }
};
struct cache_del {
  void operator()(nl_cache* x) const {
    nl_cache_free(x);
  }
};

using link_ptr = std::unique_ptr<rtnl_link, link_del>;
using addr_ptr = std::unique_ptr<nl_addr, addr_del>;
using rtaddr_ptr = std::unique_ptr<rtnl_addr, rtaddr_del>;
using neigh_ptr = std::unique_ptr<rtnl_neigh, neigh_del>;
using route_ptr = std::unique_ptr<rtnl_route, route_del>;
using cache_ptr = std::unique_ptr<nl_cache, cache_del>;

// -- conversions --------------------------------------------------------------

inline failure nl_fail(const std::string& what, int err) {
  auto code = err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? errc::not_found
                                                            : errc::internal;
  return fail(code, "netlink: " + what + ": " + nl_geterror(err));
}

inline addr_ptr make_addr(ipv4 x, int prefix_length = 32) {
  uint32_t be = htonl(x.value);
  addr_ptr out{nl_addr_build(AF_INET, &be, sizeof(be))};
  if (out)
    nl_addr_set_prefixlen(out.get(), prefix_length);
  return out;
}

inline addr_ptr make_mac(const mac_address& x) {
  return addr_ptr{nl_addr_build(AF_LLC, x.data(), x.size())};
}

inline bool read_ipv4(nl_addr* a, ipv4& out) {
  if (a == nullptr || nl_addr_get_len(a) != 4)
    return false;
  uint32_t be = 0;
  std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  out.value = ntohl(be);
  return true;
}

inline bool read_mac(nl_addr* a, mac_address& out) {
  if (a == nullptr || nl_addr_get_len(a) != out.size())
    return false;
  std::memcpy(out.data(), nl_addr_get_binary_addr(a), out.size());
  return true;
}

inline link_info to_link_info(rtnl_link* x) {
  link_info out;
  out.index = rtnl_link_get_ifindex(x);
  if (auto* name = rtnl_link_get_name(x))
    out.name = name;
  if (auto* kind = rtnl_link_get_type(x))
    out.kind = kind;
  out.master = rtnl_link_get_master(x);
  out.up = (rtnl_link_get_flags(x) & IFF_UP) != 0;
  out.mtu = rtnl_link_get_mtu(x);
  read_mac(rtnl_link_get_addr(x), out.mac);
  return out;
}

// A request for a change of device `index` (rtnl_link_change's `orig`).
inline link_ptr link_by_index(int index) {
  link_ptr out{rtnl_link_alloc()};
  if (out)
    rtnl_link_set_ifindex(out.get(), index);
  return out;
}

// A permanent neighbour entry on `index`: IPv4 ARP (`fdb` false: dst = the
// neighbour's address) or a VXLAN FDB entry (`fdb` true: dst = the remote
// VTEP, AF_BRIDGE, NTF_SELF: the device's own table, not its bridge's).
inline neigh_ptr make_neigh(int index, ipv4 dst, const mac_address* mac,
                            bool fdb) {
  neigh_ptr n{rtnl_neigh_alloc()};
  auto ip = make_addr(dst);
  if (!n || !ip)
    return nullptr;
  rtnl_neigh_set_ifindex(n.get(), index);
  // set_dst first: it takes the family from the address, and refuses a
  // mismatch with a family set earlier.
  if (rtnl_neigh_set_dst(n.get(), ip.get()) < 0)
    return nullptr;
  if (mac != nullptr) {
    auto ll = make_mac(*mac);
    if (!ll)
      return nullptr;
    rtnl_neigh_set_lladdr(n.get(), ll.get());
  }
  rtnl_neigh_set_state(n.get(), NUD_PERMANENT);
  if (fdb) {
    rtnl_neigh_set_family(n.get(), AF_BRIDGE);
    rtnl_neigh_set_flags(n.get(), NTF_SELF);
  }
  return n;
}

template <class F>
void each_object(nl_cache* cache, F&& f) {
  for (auto* obj = nl_cache_get_first(cache); obj != nullptr;
       obj = nl_cache_get_next(obj))
    f(obj);
}

} // namespace actorswarm::os::nl_detail
