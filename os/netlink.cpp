#include "os/netlink.hpp"

#include "os/netlink_libnl.hpp"

// The connection and its devices; addresses, routes, FDB and neighbour
// entries are in netlink_entries.cpp.

namespace actorswarm::os {

using namespace nl_detail;

// -- connection ---------------------------------------------------------------

netlink_conn::~netlink_conn() {
  if (sock_ != nullptr)
    nl_socket_free(sock_);
}

netlink_conn::netlink_conn(netlink_conn&& other) noexcept : sock_(other.sock_) {
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

} // namespace actorswarm::os
