#include "actors/allocator/network_allocator.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace actorswarm::allocator {

namespace {

port_protocol proto_of(const pb::PortConfig& p) {
  return p.protocol() == pb::PortConfig::UDP ? port_protocol::udp
                                             : port_protocol::tcp;
}

bool ingress_port(const pb::PortConfig& p) {
  return p.publish_mode() == pb::PortConfig::INGRESS;
}

// The VIP `held` has on network `id`, or nullptr.
const pb::Endpoint::VirtualIP* held_vip(const pb::Endpoint* held,
                                        const std::string& id) {
  if (held)
    for (auto& v : held->virtual_ips())
      if (v.network_id() == id)
        return &v;
  return nullptr;
}

} // namespace

result<uint32_t> address_of(const std::string& text) {
  if (text.find('/') == std::string::npos)
    return parse_ipv4(text);
  auto x = parse_interface(text);
  if (!x)
    return x.error();
  return x->addr;
}

result<ipam_config> config_of(const pb::ClusterSpec& spec) {
  ipam_config out;
  for (auto& text : spec.default_addr_pool()) {
    auto x = parse_subnet(text);
    if (!x)
      return x.error();
    out.default_pools.push_back(*x);
  }
  out.subnet_size = static_cast<uint8_t>(std::min(spec.subnet_size(), 32u));
  return out;
}

bool network_allocated(const pb::Network& n) {
  return !n.ipam().subnet().empty() && n.vni() != 0;
}

bool task_dead(const pb::Task& t) {
  return t.status().state() > pb::RUNNING;
}

bool endpoint_empty(const pb::Endpoint& e) {
  return e.virtual_ips_size() == 0 && e.ports_size() == 0
         && e.spec().ByteSizeLong() == 0;
}

bool publishes_ingress(const pb::ServiceSpec& s) {
  auto& ports = s.endpoint().ports();
  return std::any_of(ports.begin(), ports.end(), ingress_port);
}

bool service_on_networks(const pb::ServiceSpec& s) {
  return s.networks_size() > 0 || publishes_ingress(s);
}

// -- restore ----------------------------------------------------------------

std::string network_allocator::restore_network(const pb::Network& n) {
  if (!network_allocated(n))
    return {};
  auto where = "network " + n.spec().name() + " (" + n.id() + "): ";
  auto sn = parse_subnet(n.ipam().subnet());
  if (!sn)
    return where + sn.error().message;
  std::optional<uint32_t> gw;
  if (!n.ipam().gateway().empty()) {
    auto g = parse_ipv4(n.ipam().gateway());
    if (!g)
      return where + g.error().message;
    gw = *g;
  }
  auto a = ip_.add_network(n.id(), *sn, gw, n.vni());
  if (!a)
    return where + n.ipam().subnet() + ": " + a.error().message;
  if (n.spec().ingress())
    ingress_id_ = n.id();
  return {};
}

std::vector<std::string>
network_allocator::restore_service(const pb::Service& s) {
  std::vector<std::string> out;
  if (!s.has_endpoint())
    return out;
  auto where = "service " + s.spec().name() + " (" + s.id() + "): ";
  pb::Endpoint held = s.endpoint();
  held.clear_virtual_ips();
  for (auto& vip : s.endpoint().virtual_ips()) {
    auto a = address_of(vip.addr());
    auto st = a ? ip_.reserve_address(vip.network_id(), *a) : status{a.error()};
    if (st)
      *held.add_virtual_ips() = vip;
    else
      out.push_back(where + "virtual IP " + vip.addr() + " on network "
                    + vip.network_id() + ": " + st.error().message);
  }
  held.clear_ports();
  for (auto& p : s.endpoint().ports()) {
    if (ingress_port(p) && p.published_port() != 0) {
      auto st = ports_.reserve(proto_of(p), p.published_port(), s.id());
      if (!st) {
        out.push_back(where + "published port "
                      + std::to_string(p.published_port()) + ": "
                      + st.error().message);
        continue;
      }
    }
    *held.add_ports() = p;
  }
  services_[s.id()] = std::move(held);
  return out;
}

std::vector<std::string> network_allocator::restore_task(const pb::Task& t) {
  std::vector<std::string> out;
  if (task_dead(t) || t.networks_size() == 0)
    return out;
  auto& held = tasks_[t.id()];
  for (auto& att : t.networks())
    for (auto& text : att.addresses()) {
      auto a = address_of(text);
      auto st = a ? ip_.reserve_address(att.network_id(), *a)
                  : status{a.error()};
      if (st)
        held.push_back({att.network_id(), *a});
      else
        out.push_back("task " + t.id() + ": address " + text + " on network "
                      + att.network_id() + ": " + st.error().message);
    }
  return out;
}

// -- networks ---------------------------------------------------------------

result<pb::Network> network_allocator::allocate_network(const pb::Network& n) {
  auto* held = ip_.network(n.id());
  if (!held) {
    // The object's ipam wins over the spec's (control may have copied it).
    auto& want = n.ipam().subnet().empty() ? n.spec().ipam() : n.ipam();
    std::optional<ipv4_subnet> sn;
    std::optional<uint32_t> gw;
    std::optional<uint32_t> vni;
    if (!want.subnet().empty()) {
      auto x = parse_subnet(want.subnet());
      if (!x)
        return x.error();
      sn = *x;
    }
    if (!want.gateway().empty()) {
      auto x = parse_ipv4(want.gateway());
      if (!x)
        return x.error();
      gw = *x;
    }
    if (n.vni() != 0)
      vni = n.vni();
    auto a = ip_.add_network(n.id(), sn, gw, vni);
    if (!a)
      return a.error();
    held = ip_.network(n.id());
  }
  if (n.spec().ingress())
    ingress_id_ = n.id();
  pb::Network out = n;
  out.mutable_ipam()->set_subnet(to_string(held->subnet));
  out.mutable_ipam()->set_gateway(to_string(held->gateway));
  out.set_vni(held->vni);
  return out;
}

bool network_allocator::release_network(const std::string& id) {
  if (id == ingress_id_)
    ingress_id_.clear();
  // The network takes its addresses with it: nodes' holds there are only
  // forgotten (a later release_node must not give them back again).
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    auto& xs = it->second;
    xs.erase(std::remove_if(xs.begin(), xs.end(),
                            [&](const address& x) {
                              return x.network_id == id;
                            }),
             xs.end());
    it = xs.empty() ? nodes_.erase(it) : std::next(it);
  }
  return ip_.remove_network(id);
}

// -- services ---------------------------------------------------------------

result<std::vector<std::string>>
network_allocator::networks_of(const pb::ServiceSpec& s) const {
  std::vector<std::string> out;
  for (auto& att : s.networks())
    if (std::find(out.begin(), out.end(), att.target()) == out.end())
      out.push_back(att.target());
  auto& ports = s.endpoint().ports();
  if (std::any_of(ports.begin(), ports.end(), ingress_port)) {
    if (ingress_id_.empty())
      return fail(errc::not_found, "the ingress network is missing: a port "
                                   "published in ingress mode needs it");
    if (std::find(out.begin(), out.end(), ingress_id_) == out.end())
      out.push_back(ingress_id_);
  }
  return out;
}

std::string network_allocator::cidr_text(const std::string& id,
                                         uint32_t addr) const {
  auto* n = ip_.network(id);
  return to_string(ipv4_interface{addr,
                                  n ? n->subnet.prefix_len : uint8_t{32}});
}

status network_allocator::allocate_ports(const std::string& id,
                                         const pb::EndpointSpec& spec,
                                         const pb::Endpoint* held,
                                         pb::Endpoint& out,
                                         std::vector<pb::PortConfig>& taken) {
  // Ports the spec names explicitly: a held dynamic port equal to one of
  // them is not reused for an unnumbered one.
  std::set<std::pair<port_protocol, uint32_t>> named;
  for (auto& p : spec.ports())
    if (ingress_port(p) && p.published_port() != 0)
      named.emplace(proto_of(p), p.published_port());
  std::vector<bool> reused(held ? held->ports_size() : 0, false);
  for (auto& p : spec.ports()) {
    auto& o = *out.add_ports() = p;
    if (!ingress_port(p))
      continue; // host mode: the scheduler's business, kept as given
    auto proto = proto_of(p);
    if (p.published_port() != 0) {
      auto before = ports_.owner(proto, p.published_port());
      auto mine = before && *before == id;
      auto st = ports_.reserve(proto, p.published_port(), id);
      if (!st)
        return st;
      if (!mine)
        taken.push_back(o);
      continue;
    }
    // Unnumbered: keep the dynamic port held for the same target, so an
    // update that does not touch the port does not move it.
    bool found = false;
    for (int i = 0; held && i < held->ports_size() && !found; ++i) {
      auto& h = held->ports(i);
      if (!reused[i] && ingress_port(h) && proto_of(h) == proto
          && h.target_port() == p.target_port() && h.published_port() != 0
          && named.count({proto, h.published_port()}) == 0) {
        reused[i] = true;
        o.set_published_port(h.published_port());
        found = true;
      }
    }
    if (found)
      continue;
    auto x = ports_.allocate(proto, id);
    if (!x)
      return x.error();
    o.set_published_port(*x);
    taken.push_back(o);
  }
  return ok_status();
}

result<pb::Endpoint> network_allocator::allocate_service(const pb::Service& s) {
  auto hit = services_.find(s.id());
  const pb::Endpoint* held = hit == services_.end() ? nullptr : &hit->second;
  pb::Endpoint out;
  *out.mutable_spec() = s.spec().endpoint();
  std::vector<pb::Endpoint::VirtualIP> new_vips;
  std::vector<pb::PortConfig> new_ports;
  auto rollback = [&] {
    for (auto& v : new_vips)
      ip_.release_address(v.network_id(), *address_of(v.addr()));
    for (auto& p : new_ports)
      ports_.release(proto_of(p), p.published_port(), s.id());
  };
  if (s.spec().endpoint().mode() == pb::EndpointSpec::VIP) {
    auto nets = networks_of(s.spec());
    if (!nets)
      return nets.error();
    for (auto& id : *nets) {
      auto& vip = *out.add_virtual_ips();
      vip.set_network_id(id);
      if (auto* old = held_vip(held, id)) {
        vip.set_addr(old->addr());
        continue;
      }
      auto a = ip_.allocate_address(id);
      if (!a) {
        rollback();
        return fail(a.error().code, "network " + id + ": " + a.error().message);
      }
      vip.set_addr(cidr_text(id, *a));
      new_vips.push_back(vip);
    }
  }
  auto st = allocate_ports(s.id(), s.spec().endpoint(), held, out, new_ports);
  if (!st) {
    rollback();
    return st.error();
  }
  if (held) {
    // Give back what the new endpoint no longer holds.
    for (auto& v : held->virtual_ips()) {
      auto& vs = out.virtual_ips();
      if (std::none_of(vs.begin(), vs.end(), [&](auto& x) {
            return x.network_id() == v.network_id() && x.addr() == v.addr();
          }))
        ip_.release_address(v.network_id(), *address_of(v.addr()));
    }
    for (auto& p : held->ports()) {
      auto& ps = out.ports();
      if (ingress_port(p) && p.published_port() != 0
          && std::none_of(ps.begin(), ps.end(), [&](auto& x) {
               return ingress_port(x) && proto_of(x) == proto_of(p)
                      && x.published_port() == p.published_port();
             }))
        ports_.release(proto_of(p), p.published_port(), s.id());
    }
  }
  services_[s.id()] = out;
  return out;
}

void network_allocator::release_endpoint(const std::string& id,
                                         const pb::Endpoint& e) {
  for (auto& v : e.virtual_ips())
    if (auto a = address_of(v.addr()))
      ip_.release_address(v.network_id(), *a);
  for (auto& p : e.ports())
    if (ingress_port(p) && p.published_port() != 0)
      ports_.release(proto_of(p), p.published_port(), id);
}

bool network_allocator::release_service(const std::string& id) {
  auto it = services_.find(id);
  if (it == services_.end())
    return false;
  release_endpoint(id, it->second);
  services_.erase(it);
  return true;
}

const pb::Endpoint* network_allocator::endpoint(const std::string& id) const {
  auto it = services_.find(id);
  return it == services_.end() ? nullptr : &it->second;
}

// -- tasks ------------------------------------------------------------------

result<pb::Task> network_allocator::allocate_task(const pb::Task& t,
                                                  const pb::Service* s) {
  pb::Task out = t;
  if (!s)
    return out;
  auto* ep = endpoint(s->id());
  // An empty endpoint (no networks, no ports) is left unset: the task stays
  // as small as before networks existed.
  if (ep && !endpoint_empty(*ep))
    *out.mutable_endpoint() = *ep;
  if (!service_on_networks(s->spec()))
    return out;
  if (!ep)
    return fail(errc::not_found, "service " + s->spec().name()
                                   + " has no network allocation yet");
  auto nets = networks_of(s->spec());
  if (!nets)
    return nets.error();
  auto hit = tasks_.find(t.id());
  std::vector<address> addrs;
  if (hit != tasks_.end()) {
    addrs = hit->second;
  } else {
    for (auto& id : *nets) {
      auto a = ip_.allocate_address(id);
      if (!a) {
        for (auto& x : addrs)
          ip_.release_address(x.network_id, x.addr);
        return fail(a.error().code, "network " + id + ": " + a.error().message);
      }
      addrs.push_back({id, *a});
    }
    tasks_[t.id()] = addrs;
  }
  out.clear_networks();
  for (auto& x : addrs) {
    auto& att = *out.add_networks();
    att.set_network_id(x.network_id);
    att.add_addresses(cidr_text(x.network_id, x.addr));
    for (auto& want : s->spec().networks())
      if (want.target() == x.network_id)
        *att.mutable_aliases() = want.aliases();
  }
  return out;
}

bool network_allocator::release_task(const std::string& id) {
  auto it = tasks_.find(id);
  if (it == tasks_.end())
    return false;
  for (auto& x : it->second)
    ip_.release_address(x.network_id, x.addr);
  tasks_.erase(it);
  return true;
}

} // namespace actorswarm::allocator
