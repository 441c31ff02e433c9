#include "os/netlink.hpp"

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

namespace actorswarm::os {

namespace {

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

failure nl_fail(const std::string& what, int err) {
  auto code = err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? errc::not_found
                                                              : errc::internal;
  return fail(code, "netlink: " + what + ": " + nl_geterror(err));
}

addr_ptr make_addr(ipv4 x, int prefix_length = 32) {
  uint32_t be = htonl(x.value);
  addr_ptr out{nl_addr_build(AF_INET, &be, sizeof(be))};
  if (out)
    nl_addr_set_prefixlen(out.get(), prefix_length);
  return out;
}

addr_ptr make_mac(const mac_address& x) {
  return addr_ptr{nl_addr_build(AF_LLC, x.data(), x.size())};
}

bool read_ipv4(nl_addr* a, ipv4& out) {
  if (a == nullptr || nl_addr_get_len(a) != 4)
    return false;
  uint32_t be = 0;
  std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  out.value = ntohl(be);
  return true;
}

bool read_mac(nl_addr* a, mac_address& out) {
  if (a == nullptr || nl_addr_get_len(a) != out.size())
    return false;
  std::memcpy(out.data(), nl_addr_get_binary_addr(a), out.size());
  return true;
}

link_info to_link_info(rtnl_link* x) {
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
link_ptr link_by_index(int index) {
  link_ptr out{rtnl_link_alloc()};
  if (out)
    rtnl_link_set_ifindex(out.get(), index);
  return out;
}

// A permanent neighbour entry on `index`: IPv4 ARP (`fdb` false: dst = the
// neighbour's address) or a VXLAN FDB entry (`fdb` true: dst = the remote
// VTEP, AF_BRIDGE, NTF_SELF: the device's own table, not its bridge's).
neigh_ptr make_neigh(int index, ipv4 dst, const mac_address* mac, bool fdb) {
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

} // namespace

// -- connection ---------------------------------------------------------------

netlink_conn::~netlink_conn() {
  if (sock_ != nullptr)
    nl_socket_free(sock_);
}

netlink_conn::netlink_conn(netlink_conn&& other) noexcept
  : sock_(other.sock_) {
  other.sock_ = nullptr;
}

netlink_conn& netlink_conn::operator=(netlink_conn&& other) noexcept {
  if (this != &other) {
    if (sock_ != nullptr)
      nl_socket_free(sock_);
    sock_ = other.sock_;
    other.sock_ = nullptr;
  }
  return *this;
}

result<netlink_conn> netlink_conn::open_current() {
  auto* sock = nl_socket_alloc();
  if (sock == nullptr)
    return fail(errc::internal, "netlink: out of memory");
  netlink_conn out{sock};
  if (auto err = nl_connect(sock, NETLINK_ROUTE); err < 0)
    return nl_fail("connect", err);
  return out;
}

result<netlink_conn> netlink_conn::open(const netns& ns) {
  result<netlink_conn> out = fail(errc::internal, "netlink: not opened");
  auto entered = run_in_netns(ns, [&] { out = open_current(); });
  if (!entered)
    return entered.error();
  return out;
}

// -- links --------------------------------------------------------------------

result<std::vector<link_info>> netlink_conn::links() {
  nl_cache* raw = nullptr;
  if (auto err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw); err < 0)
    return nl_fail("list devices", err);
  cache_ptr cache{raw};
  std::vector<link_info> out;
  each_object(raw, [&](nl_object* obj) {
    out.push_back(to_link_info(reinterpret_cast<rtnl_link*>(obj)));
  });
  return out;
}

result<link_info> netlink_conn::link(const std::string& name) {
  rtnl_link* raw = nullptr;
  if (auto err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw); err < 0)
    return nl_fail("device " + name, err);
  link_ptr x{raw};
  return to_link_info(raw);
}

result<vxlan_info> netlink_conn::vxlan(int index) {
  rtnl_link* raw = nullptr;
  if (auto err = rtnl_link_get_kernel(sock_, index, nullptr, &raw); err < 0)
    return nl_fail("device " + std::to_string(index), err);
  link_ptr x{raw};
  if (!rtnl_link_is_vxlan(raw))
    return fail(errc::not_found, "netlink: device " + std::to_string(index)
                                   + " is no VXLAN device");
  vxlan_info out;
  uint32_t port = 0;
  nl_addr* local = nullptr;
  rtnl_link_vxlan_get_id(raw, &out.vni);
  rtnl_link_vxlan_get_port(raw, &port);
  out.port = static_cast<uint16_t>(port);
  if (rtnl_link_vxlan_get_local(raw, &local) == 0) {
    read_ipv4(local, out.local);
    nl_addr_put(local);
  }
  out.learning = rtnl_link_vxlan_get_learning(raw) > 0;
  out.proxy = rtnl_link_vxlan_get_proxy(raw) > 0;
  return out;
}

status netlink_conn::create_bridge(const std::string& name, uint32_t mtu,
                                   const mac_address* mac) {
  link_ptr x{rtnl_link_alloc()};
  if (!x || rtnl_link_set_type(x.get(), "bridge") < 0)
    return fail(errc::internal, "netlink: no bridge support in libnl");
  rtnl_link_set_name(x.get(), name.c_str());
  if (mtu > 0)
    rtnl_link_set_mtu(x.get(), mtu);
  if (mac != nullptr) {
    auto ll = make_mac(*mac);
    if (!ll)
      return fail(errc::internal, "netlink: out of memory");
    rtnl_link_set_addr(x.get(), ll.get());
  }
  rtnl_link_set_flags(x.get(), IFF_UP);
  if (auto err = rtnl_link_add(sock_, x.get(), NLM_F_CREATE | NLM_F_EXCL);
      err < 0)
    return nl_fail("create bridge " + name, err);
  return ok_status();
}

status netlink_conn::create_vxlan(const vxlan_spec& spec) {
  link_ptr x{rtnl_link_vxlan_alloc()};
  auto local = make_addr(spec.local);
  if (!x || !local)
    return fail(errc::internal, "netlink: out of memory");
  auto* v = x.get();
  rtnl_link_set_name(v, spec.name.c_str());
  rtnl_link_vxlan_set_id(v, spec.vni);
  rtnl_link_vxlan_set_port(v, spec.port);
  rtnl_link_vxlan_set_local(v, local.get());
  rtnl_link_vxlan_disable_learning(v);
  rtnl_link_vxlan_enable_proxy(v);
  rtnl_link_vxlan_disable_l2miss(v);
  rtnl_link_vxlan_disable_l3miss(v);
  if (spec.mtu > 0)
    rtnl_link_set_mtu(v, spec.mtu);
  if (spec.target != nullptr)
    rtnl_link_set_ns_fd(v, spec.target->fd());
  if (spec.master > 0)
    rtnl_link_set_master(v, spec.master);
  rtnl_link_set_flags(v, IFF_UP);
  if (auto err = rtnl_link_add(sock_, v, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail("create vxlan " + spec.name, err);
  return ok_status();
}

status netlink_conn::create_veth(const veth_spec& spec) {
  link_ptr x{rtnl_link_veth_alloc()};
  if (!x)
    return fail(errc::internal, "netlink: out of memory");
  link_ptr peer{rtnl_link_veth_get_peer(x.get())};
  rtnl_link_set_name(x.get(), spec.name.c_str());
  rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
  if (spec.mtu > 0) {
    rtnl_link_set_mtu(x.get(), spec.mtu);
    rtnl_link_set_mtu(peer.get(), spec.mtu);
  }
  if (spec.set_peer_mac) {
    auto mac = make_mac(spec.peer_mac);
    if (!mac)
      return fail(errc::internal, "netlink: out of memory");
    rtnl_link_set_addr(peer.get(), mac.get());
  }
  // One queue each: by default a veth gets one per possible CPU, and each
  // costs sysfs entries at creation and deletion.
  for (auto* end : {x.get(), peer.get()}) {
    rtnl_link_set_num_tx_queues(end, 1);
    rtnl_link_set_num_rx_queues(end, 1);
  }
  if (spec.peer_ns != nullptr)
    rtnl_link_set_ns_fd(peer.get(), spec.peer_ns->fd());
  if (spec.master > 0)
    rtnl_link_set_master(x.get(), spec.master);
  // Only this end: the kernel opens the peer before pairing it, so a peer
  // up at creation fails with ENOTCONN.
  rtnl_link_set_flags(x.get(), IFF_UP);
  if (auto err = rtnl_link_add(sock_, x.get(), NLM_F_CREATE | NLM_F_EXCL);
      err < 0)
    return nl_fail("create veth " + spec.name, err);
  return ok_status();
}

status netlink_conn::set_up(int index, bool up) {
  auto orig = link_by_index(index);
  link_ptr change{rtnl_link_alloc()};
  if (!orig || !change)
    return fail(errc::internal, "netlink: out of memory");
  if (up)
    rtnl_link_set_flags(change.get(), IFF_UP);
  else
    rtnl_link_unset_flags(change.get(), IFF_UP);
  if (auto err = rtnl_link_change(sock_, orig.get(), change.get(), 0); err < 0)
    return nl_fail("set device " + std::to_string(index)
                     + (up ? " up" : " down"),
                   err);
  return ok_status();
}

status netlink_conn::set_mtu(int index, uint32_t mtu) {
  auto orig = link_by_index(index);
  link_ptr change{rtnl_link_alloc()};
  if (!orig || !change)
    return fail(errc::internal, "netlink: out of memory");
  rtnl_link_set_mtu(change.get(), mtu);
  if (auto err = rtnl_link_change(sock_, orig.get(), change.get(), 0); err < 0)
    return nl_fail("set mtu of device " + std::to_string(index), err);
  return ok_status();
}

status netlink_conn::delete_link(int index) {
  auto x = link_by_index(index);
  if (!x)
    return fail(errc::internal, "netlink: out of memory");
  if (auto err = rtnl_link_delete(sock_, x.get()); err < 0)
    return nl_fail("delete device " + std::to_string(index), err);
  return ok_status();
}

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
      out.push_back(
        ipv4_prefix{ip, static_cast<uint8_t>(rtnl_addr_get_prefixlen(a))});
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
