#include "os/overlay.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "messages/assert.hpp"
#include "messages/log.hpp"

// The gateway: the tasks' way out of their overlays, in the host namespace
// (Docker's docker_gwbridge). See the top of overlay.hpp.

namespace actorswarm::os {

namespace {

uint32_t network_of(const ipv4_prefix& net) {
  return net.addr.value & prefix_mask(net.length);
}

// Writes "1" to /proc/sys/net/ipv4/ip_forward of the calling thread's
// namespace (/proc/sys/net follows the opener's namespace).
status enable_forwarding() {
  int fd = ::open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errc::internal,
                std::string{"gateway: ip_forward: "} + std::strerror(errno));
  bool ok = ::write(fd, "1\n", 2) == 2;
  int err = errno;
  ::close(fd);
  if (!ok)
    return fail(errc::internal,
                std::string{"gateway: ip_forward: "} + std::strerror(err));
  return ok_status();
}

} // namespace

ipv4 overlay::gateway_address() const {
  return {network_of(cfg_.gateway_subnet) + 1};
}

status overlay::check_gateway_subnet() const {
  auto& net = cfg_.gateway_subnet;
  if (net.length == 0)
    return fail(errc::refused, "the gateway is off on this node");
  if (net.length < 8 || net.length > 30)
    return fail(errc::invalid_spec, "invalid gateway subnet: " + to_string(net)
                                      + " (prefix length 8-30)");
  return ok_status();
}

result<nft::session*> overlay::gateway_rules() {
  if (!gateway_nft_) {
    auto s = nft::session::open(host_.fd());
    if (!s)
      return s.error();
    gateway_nft_ = std::move(*s);
  }
  return gateway_nft_.get();
}

status overlay::ensure_gateway() {
  AS_ASSERT(!tag_.empty()); // start() first
  if (gateway_bridge_ > 0)
    return ok_status();
  if (auto ok = check_gateway_subnet(); !ok)
    return ok;
  if (auto ok = adopt_gateway_bridge(); !ok)
    return ok;
  status fwd = ok_status();
  if (auto ok = run_in_netns(host_, [&fwd] { fwd = enable_forwarding(); }); !ok)
    return ok;
  if (!fwd)
    return fwd;
  auto rules = gateway_rules();
  if (!rules)
    return rules.error();
  nft::gateway_state gs;
  gs.table = cfg_.gateway_table;
  gs.mark = cfg_.gateway_mark;
  gs.subnet = to_string(ipv4_prefix{{network_of(cfg_.gateway_subnet)},
                                    cfg_.gateway_subnet.length});
  gs.bridge = gateway_bridge_name(tag_);
  auto rep = nft::apply_gateway(**rules, gs);
  if (!rep) {
    gateway_bridge_ = 0;
    return rep.error();
  }
  if (rep->chain_found && rep->legacy_filter)
    logger("dataplane")
      ->warn("the host's legacy iptables filter table is loaded: if its "
             "FORWARD policy drops, tasks reach nothing outside; accept mark "
             "{:#x} there",
             cfg_.gateway_mark);
  logger("dataplane")
    ->info("gateway ready bridge={} address={} subnet={}", gs.bridge,
           to_string(gateway_address()), gs.subnet);
  return ok_status();
}

status overlay::adopt_gateway_bridge() {
  auto name = gateway_bridge_name(tag_);
  auto addr = ipv4_prefix{gateway_address(), cfg_.gateway_subnet.length};
  // Tasks' legs carry the underlay's MTU: nothing is encapsulated here.
  auto mtu = mtu_ + vxlan_overhead_bytes;
  auto link = host_conn_.link(name);
  if (!link) {
    if (link.error().code != errc::not_found)
      return link.error();
    auto mac = mac_from_ip(addr.addr);
    if (auto ok = host_conn_.create_bridge(name, mtu, &mac); !ok)
      return ok;
    link = host_conn_.link(name);
    if (!link)
      return link.error();
  } else if (link->mtu != mtu) {
    if (auto ok = host_conn_.set_mtu(link->index, mtu); !ok)
      return ok;
  }
  auto addrs = host_conn_.addresses(link->index);
  if (!addrs)
    return addrs.error();
  for (auto& a : *addrs)
    if (!(a == addr))
      if (auto ok = host_conn_.delete_address(link->index, a); !ok)
        return ok;
  if (auto ok = host_conn_.add_address(link->index, addr); !ok)
    return ok;
  if (!link->up)
    if (auto ok = host_conn_.set_up(link->index, true); !ok)
      return ok;
  gateway_bridge_ = link->index;
  return ok_status();
}

status overlay::attach_gateway(const std::string& task_id,
                               const gateway_leg& leg) {
  auto& net = cfg_.gateway_subnet;
  auto host = leg.address.addr.value & ~prefix_mask(net.length);
  if (!contains(net, leg.address.addr) || leg.address.length != net.length
      || host == 0 || host == ~prefix_mask(net.length)
      || leg.address.addr == gateway_address())
    return fail(errc::invalid_spec, "gateway address " + to_string(leg.address)
                                      + " is not usable in subnet "
                                      + to_string(net));
  if (!valid_ifname(leg.ifname))
    return fail(errc::invalid_spec,
                "invalid interface name: \"" + leg.ifname + "\"");
  if (!valid_object_id(task_id))
    return fail(errc::invalid_spec, "invalid task id: \"" + task_id + "\"");
  auto ns = dir_.open(task_netns_name(task_id));
  if (!ns)
    return fail(errc::not_found, "no network namespace for task " + task_id);
  if (auto ok = ensure_gateway(); !ok)
    return ok;
  auto conn = netlink_conn::open(*ns);
  if (!conn)
    return conn.error();
  veth_spec spec;
  spec.name = gateway_leg_name(tag_, leg.address.addr);
  spec.mtu = mtu_ + vxlan_overhead_bytes;
  spec.master = gateway_bridge_;
  spec.peer_name = leg.ifname;
  spec.peer_ns = &*ns;
  spec.peer_mac = mac_from_ip(leg.address.addr);
  spec.set_peer_mac = true;
  auto made = host_conn_.create_veth(spec);
  if (!made) {
    auto stale = host_conn_.link(spec.name);
    if (!stale)
      return made;
    // As attach_task: ours when the task's end is there with the MAC (a
    // repeated call, after reconcile); otherwise left by a removed task
    // whose namespace has not died yet, or off the bridge (made again after
    // remove_gateway): replace it.
    auto mine = conn->link(leg.ifname);
    if (!mine || mine->mac != spec.peer_mac
        || stale->master != gateway_bridge_) {
      if (auto ok = host_conn_.delete_link(stale->index);
          !ok && ok.error().code != errc::not_found)
        return ok;
      made = host_conn_.create_veth(spec);
      if (!made)
        return made;
    }
  }
  auto configure = [&]() -> status {
    auto link = conn->link(leg.ifname);
    if (!link)
      return link.error();
    if (auto ok = conn->add_address(link->index, leg.address); !ok)
      return ok;
    if (auto ok = conn->set_up(link->index, true); !ok)
      return ok;
    return conn->set_default_route(gateway_address(), link->index);
  };
  auto ok = configure();
  if (!ok && made)
    if (auto link = host_conn_.link(spec.name))
      host_conn_.delete_link(link->index);
  if (ok)
    logger("dataplane")
      ->debug("gateway leg attached task={} address={}", task_id,
              to_string(leg.address));
  return ok;
}

status overlay::detach_gateway(const std::string& task_id,
                               const gateway_leg& leg) {
  auto link = host_conn_.link(gateway_leg_name(tag_, leg.address.addr));
  if (!link)
    return link.error().code == errc::not_found ? ok_status()
                                                : status{link.error()};
  auto ok = host_conn_.delete_link(link->index);
  if (!ok && ok.error().code != errc::not_found)
    return ok;
  logger("dataplane")->debug("gateway leg detached task={}", task_id);
  return ok_status();
}

status overlay::remove_gateway() {
  AS_ASSERT(!tag_.empty()); // start() first
  gateway_bridge_ = 0;
  // The rules first: a crash after them leaves the bridge, which the next
  // reconcile() finds and removes (it looks at the rules only then).
  auto rules = gateway_rules();
  if (!rules)
    return rules.error();
  if (auto ok = nft::remove_gateway(**rules, cfg_.gateway_table); !ok)
    return ok;
  auto links = host_conn_.links();
  if (!links)
    return links.error();
  bool had = false;
  // The legs, then the bridge (a bridge's deletion leaves its ports).
  for (int round = 0; round < 2; ++round)
    for (auto& x : *links) {
      auto parsed = parse_device_name(x.name);
      if (!parsed || parsed->tag != tag_)
        continue;
      auto kind = round == 0 ? device_kind::gateway_leg
                             : device_kind::gateway_bridge;
      if (parsed->kind != kind)
        continue;
      if (auto ok = host_conn_.delete_link(x.index);
          !ok && ok.error().code != errc::not_found)
        return ok;
      had = true;
    }
  if (had)
    logger("dataplane")->info("gateway removed");
  return ok_status();
}

// `adopted.tasks`: the adopted tasks (pinned and desired), legs attached.
status overlay::reconcile_gateway(const desired_state& adopted,
                                  reconcile_report& report) {
  auto& net = cfg_.gateway_subnet;
  bool off = net.length == 0; // a gateway left from before goes
  if (auto ok = check_gateway_subnet(); !ok && !off)
    return ok;
  // Each adopted task's gateway leg: a device inside it holding an address
  // of the gateway subnet whose host end is ours.
  std::set<uint32_t> kept;
  static const std::vector<task_desc> none;
  for (auto& t : off ? none : adopted.tasks) {
    auto ns = dir_.open(task_netns_name(t.id));
    if (!ns)
      continue;
    auto conn = netlink_conn::open(*ns);
    if (!conn)
      return conn.error();
    auto links = conn->links();
    if (!links)
      return links.error();
    for (auto& x : *links) {
      if (x.kind != "veth")
        continue;
      auto addrs = conn->addresses(x.index);
      if (!addrs)
        return addrs.error();
      for (auto& a : *addrs) {
        if (!contains(net, a.addr) || a.length != net.length
            || report.gateway_legs.count(t.id) != 0)
          continue;
        if (!host_conn_.link(gateway_leg_name(tag_, a.addr)))
          continue;
        report.gateway_legs[t.id] = gateway_leg{a, x.name};
        kept.insert(a.addr.value);
      }
    }
  }
  auto links = host_conn_.links();
  if (!links)
    return links.error();
  bool bridge = false;
  for (auto& x : *links) {
    auto parsed = parse_device_name(x.name);
    if (!parsed || parsed->tag != tag_)
      continue;
    if (parsed->kind == device_kind::gateway_bridge)
      bridge = true;
    if (parsed->kind != device_kind::gateway_leg
        || kept.count(parsed->value) != 0)
      continue;
    if (auto ok = host_conn_.delete_link(x.index);
        !ok && ok.error().code != errc::not_found)
      return ok;
    report.removed_devices.push_back(x.name);
  }
  if (report.gateway_legs.empty()) {
    // No bridge: no gateway (it is made first and removed last), and no
    // rules to look for in the host's nftables.
    if (!bridge)
      return ok_status();
    report.removed_devices.push_back(gateway_bridge_name(tag_));
    return remove_gateway();
  }
  gateway_bridge_ = 0; // adopt it again: address, MTU, rules
  for (auto& [id, leg] : report.gateway_legs)
    if (auto ok = attach_gateway(id, leg); !ok)
      return ok;
  return ok_status();
}

} // namespace actorswarm::os
