#include "actors/network/network_plane.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include "messages/log.hpp"

namespace actorswarm::network {

namespace {

// "10.0.1.5/24" or "10.0.1.5" -> "10.0.1.5".
std::string host_of(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

bool same(const nft::vip_state& x, const nft::vip_state& y) {
  if (x.services.size() != y.services.size())
    return false;
  for (size_t i = 0; i < x.services.size(); ++i)
    if (x.services[i].vip != y.services[i].vip
        || x.services[i].backends != y.services[i].backends)
      return false;
  return true;
}

bool same_peers(const std::vector<os::peer>& x,
                const std::vector<os::peer>& y) {
  return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                    [](const os::peer& a, const os::peer& b) {
                      return a.task_ip == b.task_ip && a.node_ip == b.node_ip;
                    });
}

bool same_mesh(const nft::mesh_state& x, const nft::mesh_state& y) {
  auto same_port = [](const nft::ingress_port& a, const nft::ingress_port& b) {
    return a.proto == b.proto && a.published == b.published
           && a.target == b.target && a.backends == b.backends;
  };
  return x.sandbox_address == y.sandbox_address
         && x.host_device == y.host_device
         && std::equal(x.ingress_ports.begin(), x.ingress_ports.end(),
                       y.ingress_ports.begin(), y.ingress_ports.end(),
                       same_port)
         && std::equal(x.host_ports.begin(), x.host_ports.end(),
                       y.host_ports.begin(), y.host_ports.end(),
                       [](const nft::host_port& a, const nft::host_port& b) {
                         return a.proto == b.proto && a.published == b.published
                                && a.target == b.target
                                && a.backend == b.backend;
                       });
}

// A published port's protocol and numbers, or nothing when they are out of
// range (the control plane refuses those; a stale or foreign message).
struct port_numbers {
  nft::protocol proto = nft::protocol::tcp;
  uint16_t published = 0;
  uint16_t target = 0;
};

std::optional<port_numbers> numbers_of(const pb::PortConfig& p) {
  if (p.published_port() == 0 || p.published_port() > 65535
      || p.target_port() == 0 || p.target_port() > 65535)
    return std::nullopt;
  return port_numbers{p.protocol() == pb::PortConfig::UDP ? nft::protocol::udp
                                                          : nft::protocol::tcp,
                      static_cast<uint16_t>(p.published_port()),
                      static_cast<uint16_t>(p.target_port())};
}

// The first usable address of the subnet: the gateway when none was given.
os::ipv4 first_host(const os::ipv4_prefix& net) {
  return {(net.addr.value & os::prefix_mask(net.length)) + 1};
}

} // namespace

std::map<std::string, network_need>
needs_of(const google::protobuf::RepeatedPtrField<pb::NodeNetwork>& xs,
         std::vector<std::string>& warnings) {
  std::map<std::string, network_need> out;
  for (auto& x : xs) {
    auto& n = x.network();
    network_need need;
    need.desc.id = n.id();
    need.desc.vni = n.vni();
    need.internal = n.spec().internal();
    auto subnet = os::parse_ipv4_prefix(n.ipam().subnet());
    if (!subnet) {
      warnings.push_back("network " + n.id() + ": subnet \"" + n.ipam().subnet()
                         + "\": " + subnet.error().message);
      continue;
    }
    need.desc.subnet = *subnet;
    need.desc.subnet.addr.value &= os::prefix_mask(subnet->length);
    if (n.ipam().gateway().empty()) {
      need.desc.gateway = first_host(*subnet);
    } else if (auto gw = os::parse_ipv4(host_of(n.ipam().gateway())); gw) {
      need.desc.gateway = *gw;
    } else {
      warnings.push_back("network " + n.id() + ": gateway \""
                         + n.ipam().gateway() + "\": " + gw.error().message);
      continue;
    }
    for (auto& p : x.peers()) {
      auto ip = os::parse_ipv4(host_of(p.address()));
      auto node = os::parse_ipv4(p.node_addr());
      if (!ip || !node) {
        warnings.push_back("network " + n.id() + ": peer " + p.task_id() + " ("
                           + p.address() + " on " + p.node_addr()
                           + ") is not IPv4");
        continue;
      }
      need.peers.push_back({*ip, *node});
    }
    need.ingress = n.spec().ingress();
    for (auto& s : x.services()) {
      std::vector<std::string> backends;
      for (auto& b : s.backends()) {
        auto h = host_of(b);
        if (std::find(backends.begin(), backends.end(), h) == backends.end())
          backends.push_back(h);
      }
      if (need.ingress)
        for (auto& p : s.ports()) {
          auto n = numbers_of(p);
          if (p.publish_mode() != pb::PortConfig::INGRESS || !n)
            continue;
          nft::ingress_port ip;
          ip.proto = n->proto;
          ip.published = n->published;
          ip.target = n->target;
          ip.backends = backends;
          need.ports.push_back(std::move(ip));
        }
      if (s.vip().empty())
        continue;
      need.vips.push_back({host_of(s.vip()), std::move(backends)});
    }
    std::sort(need.ports.begin(), need.ports.end(),
              [](const nft::ingress_port& a, const nft::ingress_port& b) {
                return std::tie(a.proto, a.published)
                       < std::tie(b.proto, b.published);
              });
    out.emplace(n.id(), std::move(need));
  }
  return out;
}

nft::vip_state vip_state_of(const std::map<std::string, network_need>& needs,
                            const std::vector<std::string>& networks) {
  nft::vip_state out;
  for (auto& id : networks) {
    auto i = needs.find(id);
    if (i == needs.end())
      continue;
    for (auto& v : i->second.vips) {
      auto dup = std::find_if(out.services.begin(), out.services.end(),
                              [&v](auto& x) { return x.vip == v.vip; });
      if (dup == out.services.end())
        out.services.push_back(v);
    }
  }
  return out;
}

status network_plane::ensure(const std::string& network_id) {
  auto i = needs_.find(network_id);
  if (i == needs_.end())
    return fail(errc::not_found,
                "network " + network_id + " is not assigned to this node");
  if (auto st = dp_.ensure_network(i->second.desc); !st)
    return st;
  if (auto st = dp_.set_peers(network_id, i->second.peers); !st)
    return st;
  ensured_.insert(network_id);
  return ok_status();
}

status network_plane::drop_unused(const std::string& network_id) {
  if (sandbox_ && sandbox_network_ == network_id)
    return ok_status();
  for (auto& [id, t] : tasks_)
    if (std::count(t.networks.begin(), t.networks.end(), network_id) != 0)
      return ok_status();
  if (ensured_.erase(network_id) == 0)
    return ok_status();
  return dp_.remove_network(network_id);
}

status network_plane::assign(const pb::Assignments& as) {
  if (!as.networks_set())
    return ok_status();
  std::vector<std::string> warnings;
  auto needs = needs_of(as.networks(), warnings);
  for (auto& w : warnings)
    logger("network")->warn("{}", w);
  status first = ok_status();
  auto note = [&first](status st) {
    if (!st) {
      logger("network")->warn("{}", st.error().message);
      if (first)
        first = st;
    }
  };
  if (!reconciled_ && as.full()) {
    // A previous daemon's namespaces: keep those of tasks still assigned
    // here (their processes may run), remove everything else.
    os::desired_state desired;
    std::set<std::string> nets;
    for (auto& t : as.update()) {
      os::task_desc td;
      td.id = t.id();
      int k = 0;
      for (auto& a : t.networks()) {
        auto n = needs.find(a.network_id());
        auto addr = a.addresses().empty()
                      ? result<os::ipv4_prefix>(fail(errc::invalid_spec, ""))
                      : os::parse_ipv4_prefix(a.addresses(0));
        if (n == needs.end() || !addr)
          continue;
        os::task_leg leg;
        leg.network_id = a.network_id();
        leg.address = *addr;
        leg.ifname = "eth" + std::to_string(k);
        leg.default_route = k == 0;
        ++k;
        td.legs.push_back(leg);
        nets.insert(a.network_id());
      }
      route_via_gateway(needs, td.legs);
      if (!td.legs.empty())
        desired.tasks.push_back(std::move(td));
    }
    for (auto& [id, t] : tasks_) { // prepared before the full set came
      desired.tasks.push_back({id, t.legs});
      for (auto& n : t.networks)
        nets.insert(n);
    }
    for (auto& id : nets)
      desired.networks.push_back(needs.at(id).desc);
    auto rep = dp_.reconcile(desired);
    if (!rep) {
      note(rep.error());
    } else {
      reconciled_ = true;
      for (auto& id : nets)
        ensured_.insert(id);
      // Adopted namespaces of tasks whose processes may still run: they are
      // local tasks now (released when their processes exit).
      for (auto& td : desired.tasks) {
        if (tasks_.count(td.id) != 0)
          continue;
        if (std::count(rep->missing_tasks.begin(), rep->missing_tasks.end(),
                       td.id)
            != 0)
          continue;
        local_task lt;
        lt.legs = td.legs;
        for (auto& l : td.legs)
          lt.networks.push_back(l.network_id);
        tasks_.emplace(td.id, std::move(lt));
      }
      note(adopt_gateways(*rep, needs));
      logger("network")->info(
        "reconciled adopted_networks={} removed_networks={} adopted_tasks={} "
        "removed_tasks={}",
        rep->adopted_networks.size(), rep->removed_networks.size(),
        rep->adopted_tasks.size(), rep->removed_tasks.size());
    }
  }
  auto old = std::move(needs_);
  needs_ = std::move(needs);
  // Networks set up here: follow their changes.
  std::vector<std::string> ids(ensured_.begin(), ensured_.end());
  for (auto& id : ids) {
    auto n = needs_.find(id);
    if (n == needs_.end())
      continue; // kept until its last local task is released
    auto o = old.find(id);
    bool fresh = o == old.end();
    if (fresh || !(o->second.desc == n->second.desc))
      note(dp_.ensure_network(n->second.desc));
    if (fresh || !same_peers(o->second.peers, n->second.peers))
      note(dp_.set_peers(id, n->second.peers));
  }
  for (auto& t : as.update())
    if (t.desired_state() > pb::RUNNING)
      if (auto i = tasks_.find(t.id()); i != tasks_.end())
        i->second.stopping = true;
  for (auto& [id, t] : tasks_) {
    if (t.stopping)
      continue;
    auto want = vip_state_of(needs_, t.networks);
    if (same(want, t.applied))
      continue;
    auto st = dp_.apply_vip(id, want);
    note(st);
    if (st)
      t.applied = std::move(want);
  }
  ingress_address_ = as.ingress_address();
  host_ports_.assign(as.host_ports().begin(), as.host_ports().end());
  if (reconciled_)
    note(update_mesh());
  return first;
}

std::vector<nft::host_port> network_plane::host_ports() const {
  std::vector<nft::host_port> out;
  std::set<std::pair<int, uint32_t>> seen;
  for (auto& x : host_ports_) {
    auto n = numbers_of(x.port());
    if (!n || !seen.emplace(int(n->proto), n->published).second)
      continue;
    nft::host_port hp;
    hp.proto = n->proto;
    hp.published = n->published;
    hp.target = n->target;
    if (x.on_networks()) {
      // Straight to the task over its gateway leg, once it has one.
      auto t = tasks_.find(x.task_id());
      if (t == tasks_.end() || !t->second.gateway)
        continue;
      hp.backend = os::to_string(t->second.gateway->address.addr);
    } else if (hp.published == hp.target) {
      continue; // the process binds the node's port itself
    }
    out.push_back(std::move(hp));
  }
  return out;
}

status network_plane::update_mesh() {
  auto& ingress_address = ingress_address_;
  // The ingress network, when some service publishes a port on it.
  std::string in_id;
  const network_need* in = nullptr;
  for (auto& [id, n] : needs_)
    if (n.ingress && !n.ports.empty()) {
      in_id = id;
      in = &n;
    }
  auto addr = os::parse_ipv4_prefix(ingress_address);
  auto hosts = host_ports();
  if (in == nullptr || !addr) {
    if (sandbox_)
      if (auto st = remove_mesh(); !st)
        return st;
    if (hosts.empty()) {
      if (!mesh_)
        return ok_status();
      mesh_.reset();
      return dp_.remove_sandbox(); // the host's rules (no sandbox here)
    }
    // Host-mode ports only: the host's table, no sandbox.
    nft::mesh_state m;
    m.host_ports = std::move(hosts);
    if (mesh_ && same_mesh(*mesh_, m))
      return ok_status();
    auto rep = dp_.apply_mesh(m);
    if (!rep)
      return rep.error();
    mesh_ = std::move(m);
    return ok_status();
  }
  if (!sandbox_ || sandbox_network_ != in_id
      || sandbox_address_ != ingress_address) {
    if (sandbox_ && sandbox_network_ != in_id)
      if (auto st = remove_mesh(); !st)
        return st;
    if (ensured_.count(in_id) == 0)
      if (auto st = ensure(in_id); !st)
        return st;
    os::sandbox_desc d;
    d.network_id = in_id;
    d.address = *addr;
    auto info = dp_.ensure_sandbox(d);
    if (!info)
      return info.error();
    sandbox_ = std::move(*info);
    sandbox_network_ = in_id;
    sandbox_address_ = ingress_address;
    mesh_.reset();
  }
  nft::mesh_state m;
  m.sandbox_address = os::to_string(sandbox_->sandbox_address);
  m.host_device = sandbox_->host_device;
  m.ingress_ports = in->ports;
  m.host_ports = std::move(hosts);
  if (mesh_ && same_mesh(*mesh_, m))
    return ok_status();
  auto rep = dp_.apply_mesh(m);
  if (!rep)
    return rep.error();
  if (rep->legacy_filter && !warned_legacy_) {
    warned_legacy_ = true;
    logger("network")->warn(
      "the legacy iptables filter table is loaded: if its FORWARD policy "
      "drops, published ports need `iptables-legacy -I FORWARD -m mark "
      "--mark {0:#x}/{0:#x} -j ACCEPT`",
      m.mark);
  }
  logger("network")->debug("routing mesh applied ports={}",
                           m.ingress_ports.size());
  mesh_ = std::move(m);
  return ok_status();
}

status network_plane::refresh_mesh() {
  if (!mesh_)
    return ok_status();
  auto rep = dp_.apply_mesh(*mesh_);
  if (!rep)
    return rep.error();
  if (rep->inserted != 0)
    logger("network")->info("routing mesh: FORWARD accept rule restored");
  return ok_status();
}

status network_plane::remove_mesh() {
  mesh_.reset();
  auto st = dp_.remove_sandbox();
  if (!sandbox_)
    return st;
  sandbox_.reset();
  sandbox_address_.clear();
  auto net = std::exchange(sandbox_network_, {});
  if (auto s = drop_unused(net); !s && st)
    st = s;
  return st;
}

result<std::string> network_plane::prepare(const pb::Task& task) {
  local_task lt;
  int k = 0;
  for (auto& a : task.networks()) {
    if (a.addresses().empty())
      continue;
    auto addr = os::parse_ipv4_prefix(a.addresses(0));
    if (!addr)
      return fail(errc::invalid_spec, "network " + a.network_id()
                                        + ": task address \"" + a.addresses(0)
                                        + "\": " + addr.error().message);
    os::task_leg leg;
    leg.network_id = a.network_id();
    leg.address = *addr;
    leg.ifname = "eth" + std::to_string(k);
    leg.default_route = k == 0;
    ++k;
    lt.legs.push_back(leg);
    lt.networks.push_back(a.network_id());
  }
  if (lt.legs.empty())
    return fail(errc::invalid_spec, "task " + task.id() + " has no network");
  route_via_gateway(needs_, lt.legs);
  if (auto i = tasks_.find(task.id()); i != tasks_.end()) // prepared again
    lt.gateway = i->second.gateway;
  auto undo = [this, &task, &lt](const failure& f) -> result<std::string> {
    dp_.remove_task(task.id());
    tasks_.erase(task.id());
    for (auto& n : lt.networks)
      drop_unused(n);
    if (lt.gateway)
      pool().release(lt.gateway->address.addr);
    drop_gateway_if_unused();
    return f;
  };
  for (auto& n : lt.networks)
    if (ensured_.count(n) == 0)
      if (auto st = ensure(n); !st)
        return undo(st.error());
  auto path = dp_.create_task(task.id());
  if (!path)
    return undo(path.error());
  for (auto& leg : lt.legs)
    if (auto st = dp_.attach_task(task.id(), leg); !st)
      return undo(st.error());
  if (gets_gateway(needs_, lt.networks))
    if (auto st = attach_gateway(task.id(), lt); !st)
      return undo(st.error());
  auto vips = vip_state_of(needs_, lt.networks);
  if (auto st = dp_.apply_vip(task.id(), vips); !st)
    return undo(st.error());
  lt.applied = std::move(vips);
  tasks_[task.id()] = std::move(lt);
  // A host-mode port of this task: its rule needed the gateway leg.
  for (auto& x : host_ports_)
    if (x.task_id() == task.id() && reconciled_) {
      if (auto st = update_mesh(); !st)
        logger("network")->warn("{}", st.error().message);
      break;
    }
  return path;
}

status network_plane::release(const std::string& task_id) {
  auto i = tasks_.find(task_id);
  if (i == tasks_.end())
    return ok_status();
  auto nets = std::move(i->second.networks);
  auto gateway = i->second.gateway;
  tasks_.erase(i);
  auto st = dp_.remove_task(task_id);
  for (auto& n : nets)
    if (auto s = drop_unused(n); !s && st)
      st = s;
  if (gateway) {
    pool().release(gateway->address.addr);
    if (auto s = drop_gateway_if_unused(); !s && st)
      st = s;
  }
  return st;
}

std::vector<std::string> network_plane::task_ids() const {
  std::vector<std::string> out;
  for (auto& [id, t] : tasks_)
    out.push_back(id);
  return out;
}

} // namespace actorswarm::network
