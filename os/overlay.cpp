#include "os/overlay.hpp"

#include <algorithm>
#include <set>

#include "messages/assert.hpp"
#include "messages/log.hpp"

// Networks: their namespace, bridge and VXLAN device, and their peers. Tasks
// are in overlay_tasks.cpp, start-up reconciliation in overlay_reconcile.cpp.

namespace actorswarm::os {

namespace {

// Without a device holding the underlay address, Ethernet's MTU.
constexpr uint32_t default_underlay_mtu = 1500;

// Smallest MTU an IPv4 overlay may have (RFC 791's 68 is of no use).
constexpr uint32_t mtu_min = 576;

} // namespace

overlay::overlay(overlay_config cfg, netns host)
  : cfg_(std::move(cfg)), host_(std::move(host)), dir_(cfg_.netns_dir) {
  // nop
}

status overlay::start() {
  auto tag = node_tag(cfg_.node_id);
  if (!tag)
    return tag.error();
  tag_ = *tag;
  if (cfg_.data_path_port == 0)
    return fail(errc::invalid_spec, "invalid data path port: 0");
  if (cfg_.netns_dir.empty())
    return fail(errc::invalid_spec, "no directory for network namespaces");
  if (auto ok = dir_.prepare(); !ok)
    return ok;
  auto conn = netlink_conn::open(host_);
  if (!conn)
    return conn.error();
  host_conn_ = std::move(*conn);
  auto underlay_mtu = cfg_.underlay_mtu;
  if (underlay_mtu == 0) {
    underlay_mtu = default_underlay_mtu;
    if (auto index = host_conn_.index_of_address(cfg_.underlay))
      if (auto links = host_conn_.links())
        for (auto& x : *links)
          if (x.index == *index)
            underlay_mtu = x.mtu;
  }
  if (underlay_mtu < mtu_min + vxlan_overhead_bytes)
    return fail(errc::invalid_spec, "underlay MTU too small for an overlay: "
                                      + std::to_string(underlay_mtu));
  mtu_ = underlay_mtu - vxlan_overhead_bytes;
  return ok_status();
}

std::string overlay::task_netns_path(const std::string& task_id) const {
  return dir_.pin_path(task_netns_name(task_id));
}

status overlay::validate(const network_desc& desc) const {
  if (!valid_object_id(desc.id))
    return fail(errc::invalid_spec, "invalid network id: \"" + desc.id + "\"");
  if (desc.vni == 0 || desc.vni > vni_max)
    return fail(errc::invalid_spec, "VXLAN id out of range (1-16777215): "
                                      + std::to_string(desc.vni));
  if (desc.subnet.length == 0 || desc.subnet.length > 30)
    return fail(errc::invalid_spec,
                "invalid subnet for an overlay: " + to_string(desc.subnet));
  if (!contains(desc.subnet, desc.gateway))
    return fail(errc::invalid_spec, "gateway " + to_string(desc.gateway)
                                      + " is not in subnet "
                                      + to_string(desc.subnet));
  return ok_status();
}

status overlay::ensure_network(const network_desc& desc) {
  AS_ASSERT(!tag_.empty()); // start() first
  if (auto ok = validate(desc); !ok)
    return ok;
  if (auto i = networks_.find(desc.id); i != networks_.end()) {
    if (i->second.desc == desc)
      return ok_status();
    return adopt_network(desc, i->second);
  }
  auto name = network_netns_name(desc.id);
  network_state st;
  if (auto ns = dir_.open(name)) {
    st.ns = std::move(*ns);
    if (auto ok = adopt_network(desc, st); !ok)
      return ok;
  } else {
    // A stale pin file (after a reboot) pins nothing: replace it.
    if (auto ok = dir_.remove(name); !ok)
      return ok;
    if (auto ok = build_network(desc, st); !ok) {
      if (st.vxlan > 0)
        st.conn.delete_link(st.vxlan);
      dir_.remove(name);
      return ok;
    }
  }
  networks_.emplace(desc.id, std::move(st));
  logger("dataplane")
    ->info("network ready id={} vni={} subnet={}", desc.id, desc.vni,
           to_string(desc.subnet));
  return ok_status();
}

status overlay::build_network(const network_desc& desc, network_state& st) {
  auto ns = dir_.create(network_netns_name(desc.id));
  if (!ns)
    return ns.error();
  st.ns = std::move(*ns);
  st.desc = desc;
  auto conn = netlink_conn::open(st.ns);
  if (!conn)
    return conn.error();
  st.conn = std::move(*conn);
  auto br = bridge_name(tag_, desc.vni);
  auto mac = mac_from_ip(desc.gateway);
  if (auto ok = st.conn.create_bridge(br, mtu_, &mac); !ok)
    return ok;
  auto link = st.conn.link(br);
  if (!link)
    return link.error();
  st.bridge = link->index;
  auto gw = ipv4_prefix{desc.gateway, desc.subnet.length};
  if (auto ok = st.conn.add_address(st.bridge, gw); !ok)
    return ok;
  return make_vxlan(st);
}

status overlay::make_vxlan(network_state& st) {
  vxlan_spec spec;
  spec.name = vxlan_name(tag_, st.desc.vni);
  spec.vni = st.desc.vni;
  spec.port = cfg_.data_path_port;
  spec.local = cfg_.underlay;
  spec.mtu = mtu_;
  spec.target = &st.ns;
  spec.master = st.bridge;
  // Made by the host namespace's connection, straight into the network's
  // namespace: the device's UDP socket lives in the host namespace.
  if (auto ok = host_conn_.create_vxlan(spec); !ok)
    return ok;
  auto link = st.conn.link(spec.name);
  if (!link)
    return link.error();
  st.vxlan = link->index;
  return ok_status();
}

status overlay::adopt_network(const network_desc& desc, network_state& st) {
  st.desc = desc;
  if (!st.conn.valid()) {
    auto conn = netlink_conn::open(st.ns);
    if (!conn)
      return conn.error();
    st.conn = std::move(*conn);
  }
  if (auto ok = adopt_bridge(st, adopt_removed_); !ok)
    return ok;
  return adopt_vxlan(st, adopt_removed_);
}

status overlay::adopt_bridge(network_state& st,
                             std::vector<std::string>& removed) {
  auto links = st.conn.links();
  if (!links)
    return links.error();
  auto br = bridge_name(tag_, st.desc.vni);
  auto vx = vxlan_name(tag_, st.desc.vni);
  st.bridge = 0;
  // Bridges and VXLAN devices of another VNI (or node tag) are stale.
  for (auto& x : *links) {
    auto parsed = parse_device_name(x.name);
    if (x.name == br) {
      st.bridge = x.index;
      if (x.mtu != mtu_)
        if (auto ok = st.conn.set_mtu(x.index, mtu_); !ok)
          return ok;
    } else if (parsed && x.name != vx
               && parsed->kind != device_kind::task_leg) {
      if (auto ok = st.conn.delete_link(x.index);
          !ok && ok.error().code != errc::not_found)
        return ok;
      removed.push_back(x.name);
    }
  }
  if (st.bridge == 0) {
    auto mac = mac_from_ip(st.desc.gateway);
    if (auto ok = st.conn.create_bridge(br, mtu_, &mac); !ok)
      return ok;
    auto link = st.conn.link(br);
    if (!link)
      return link.error();
    st.bridge = link->index;
  }
  auto gw = ipv4_prefix{st.desc.gateway, st.desc.subnet.length};
  auto addrs = st.conn.addresses(st.bridge);
  if (!addrs)
    return addrs.error();
  for (auto& a : *addrs)
    if (!(a == gw))
      if (auto ok = st.conn.delete_address(st.bridge, a); !ok)
        return ok;
  return st.conn.add_address(st.bridge, gw);
}

status overlay::adopt_vxlan(network_state& st,
                            std::vector<std::string>& removed) {
  auto vx = vxlan_name(tag_, st.desc.vni);
  st.vxlan = 0;
  if (auto link = st.conn.link(vx)) {
    auto info = st.conn.vxlan(link->index);
    bool same = info && info->vni == st.desc.vni
                && info->port == cfg_.data_path_port
                && info->local == cfg_.underlay && !info->learning
                && info->proxy && link->master == st.bridge;
    if (same) {
      st.vxlan = link->index;
      if (link->mtu != mtu_)
        return st.conn.set_mtu(st.vxlan, mtu_);
      return ok_status();
    }
    // Made for another advertise address or port: make it again.
    if (auto ok = st.conn.delete_link(link->index); !ok)
      return ok;
    removed.push_back(vx);
  } else if (link.error().code != errc::not_found) {
    return link.error();
  }
  return make_vxlan(st);
}

status overlay::set_peers(const std::string& network_id,
                          const std::vector<peer>& peers) {
  auto i = networks_.find(network_id);
  if (i == networks_.end())
    return fail(errc::not_found, "network " + network_id + " not found");
  auto& st = i->second;
  // The wanted entries, by task address; validated before anything changes.
  std::map<uint32_t, ipv4> want;
  for (auto& p : peers) {
    if (!contains(st.desc.subnet, p.task_ip))
      return fail(errc::invalid_spec, "peer " + to_string(p.task_ip)
                                        + " is not in subnet "
                                        + to_string(st.desc.subnet));
    auto [j, added] = want.emplace(p.task_ip.value, p.node_ip);
    if (!added && j->second != p.node_ip)
      return fail(errc::invalid_spec,
                  "peer " + to_string(p.task_ip) + " is on two nodes");
  }
  for (auto j = want.begin(); j != want.end();)
    j = j->second == cfg_.underlay ? want.erase(j) : std::next(j);
  auto fdb = st.conn.fdb(st.vxlan);
  auto neigh = st.conn.neighbours(st.vxlan);
  if (!fdb)
    return fdb.error();
  if (!neigh)
    return neigh.error();
  // Add or fix what is missing first, then remove what is no longer wanted
  // (an entry whose MAC is wanted was replaced in place).
  std::map<mac_address, ipv4> have_fdb;
  std::set<uint32_t> have_neigh;
  for (auto& e : *fdb)
    have_fdb.emplace(e.mac, e.dst);
  for (auto& e : *neigh)
    if (e.mac == mac_from_ip(e.ip))
      have_neigh.insert(e.ip.value);
  std::set<mac_address> want_macs;
  for (auto& [ip, node] : want) {
    auto mac = mac_from_ip(ipv4{ip});
    want_macs.insert(mac);
    auto h = have_fdb.find(mac);
    if (h == have_fdb.end() || h->second != node)
      if (auto ok = st.conn.set_fdb(st.vxlan, fdb_entry{mac, node}); !ok)
        return ok;
    if (have_neigh.count(ip) == 0)
      if (auto ok = st.conn.set_neighbour(st.vxlan, neigh_entry{ipv4{ip}, mac});
          !ok)
        return ok;
  }
  for (auto& e : *fdb)
    if (want_macs.count(e.mac) == 0)
      if (auto ok = st.conn.delete_fdb(st.vxlan, e); !ok)
        return ok;
  for (auto& e : *neigh)
    if (want.count(e.ip.value) == 0)
      if (auto ok = st.conn.delete_neighbour(st.vxlan, e.ip); !ok)
        return ok;
  return ok_status();
}

status overlay::remove_network(const std::string& network_id) {
  if (!valid_object_id(network_id))
    return fail(errc::invalid_spec,
                "invalid network id: \"" + network_id + "\"");
  networks_.erase(network_id);
  return unpin_network(network_id);
}

status overlay::unpin_network(const std::string& network_id) {
  auto name = network_netns_name(network_id);
  if (auto ns = dir_.open(name)) {
    // Delete the devices now rather than with the namespace (the kernel does
    // that asynchronously): the VXLAN device's UDP socket and VNI are in the
    // host namespace and must be free for a network made right after.
    auto conn = netlink_conn::open(*ns);
    if (!conn)
      return conn.error();
    auto links = conn->links();
    if (!links)
      return links.error();
    for (auto& x : *links) {
      if (x.kind != "veth" && x.kind != "vxlan" && x.kind != "bridge")
        continue;
      if (auto ok = conn->delete_link(x.index);
          !ok && ok.error().code != errc::not_found)
        return ok;
    }
  }
  if (auto ok = dir_.remove(name); !ok)
    return ok;
  logger("dataplane")->info("network removed id={}", network_id);
  return ok_status();
}

} // namespace actorswarm::os
