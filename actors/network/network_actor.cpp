#include "actors/network/network_actor.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "caf/all.hpp"

#include "actors/dispatcher/assignments.hpp"
#include "actors/dns/dns_actor.hpp"
#include "actors/network/data_plane.hpp"
#include "actors/network/network_plane.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "net/dns/server.hpp"
#include "net/dns/sockets.hpp"

namespace actorswarm::network {

namespace {

struct network_state {
  network_actor_config cfg;
  std::unique_ptr<data_plane> dp;
  std::unique_ptr<network_plane> plane;
  /// Why the data plane could not start ("" while it did or was not tried).
  std::string broken;
  /// The embedded DNS (cfg.dns): its server, one zone actor per network,
  /// one listener per task namespace.
  std::shared_ptr<dns::server> dns;
  std::map<std::string, dns::dns_zone_actor_type> zones;
  std::map<std::string, uint64_t> listeners;
  uint64_t zone_version = 0;
  /// A net_refresh_atom is on its way (the mesh's timer).
  bool refresh_armed = false;
  /// The first full set found nothing to reconcile (no network, no pins).
  bool clean_start = false;
  /// The network part last followed (without tasks), for withdraw().
  pb::Assignments last;
  ~network_state() {
    for (auto& [id, z] : zones)
      caf::anon_send_exit(z, caf::exit_reason::user_shutdown);
  }
  static inline const char* name = "network";
};

using network_ptr = network_actor_type::stateful_pointer<network_state>;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Makes and starts the data plane on first need.
bool ensure_started(network_ptr self, uint32_t data_path_port) {
  auto& st = self->state;
  if (st.plane)
    return true;
  if (!st.broken.empty())
    return false;
  auto port = static_cast<uint16_t>(data_path_port == 0
                                      ? os::default_data_path_port
                                      : data_path_port);
  if (st.cfg.make) {
    st.dp = st.cfg.make(port);
  } else {
    os::overlay_config oc;
    oc.netns_dir = st.cfg.netns_dir;
    oc.node_id = st.cfg.node_id;
    oc.data_path_port = port;
    auto host = dispatcher::addr_host(st.cfg.addr);
    auto ip = os::parse_ipv4(host);
    if (!ip) {
      st.broken = "network: the node's address \"" + st.cfg.addr
                  + "\" is no IPv4 address: overlay networks are off";
      logger("network")->error("{}", st.broken);
      return false;
    }
    oc.underlay = *ip;
    if (st.cfg.gateway_subnet == "none") {
      oc.gateway_subnet = os::gateway_off;
    } else if (!st.cfg.gateway_subnet.empty()) {
      auto gw = os::parse_ipv4_prefix(st.cfg.gateway_subnet);
      if (!gw) {
        st.broken = "network: gateway subnet: " + gw.error().message;
        logger("network")->error("{}", st.broken);
        return false;
      }
      oc.gateway_subnet = *gw;
    }
    st.dp = make_os_data_plane(oc);
  }
  if (auto s = st.dp->start(); !s) {
    st.broken = "network: data plane: " + s.error().message;
    logger("network")->error("{}", st.broken);
    st.dp.reset();
    return false;
  }
  st.plane = std::make_unique<network_plane>(*st.dp);
  if (st.clean_start)
    st.plane->start_clean();
  if (st.cfg.dns) {
    dns::server_config dc;
    if (st.cfg.dns_upstreams.empty())
      dc.upstreams = dns::read_resolv_conf();
    for (auto& x : st.cfg.dns_upstreams) {
      auto e = dns::parse_endpoint(x);
      if (e)
        dc.upstreams.push_back(*e);
      else // the CLI checked it: only an embedder can get here
        logger("network")->error("DNS upstream \"{}\": {}", x,
                                 e.error().message);
    }
    auto srv = dns::server::start(std::move(dc));
    if (srv)
      st.dns = std::shared_ptr<dns::server>(std::move(*srv));
    else
      logger("network")->error("embedded DNS: {}", srv.error().message);
  }
  logger("network")->info("data plane started node_id={} data_path_port={}",
                          st.cfg.node_id, port);
  return true;
}

// The zone of one network from the assignments' network part.
dns::zone_update zone_of(const pb::NodeNetwork& nn, uint64_t version) {
  dns::zone_update zu;
  zu.network_id = nn.network().id();
  zu.version = version;
  for (auto& s : nn.services()) {
    dns::zone_service zs;
    zs.name = s.name();
    zs.vip = s.vip();
    zs.mode = s.dnsrr() ? dns::endpoint_mode::dnsrr : dns::endpoint_mode::vip;
    zs.aliases.assign(s.aliases().begin(), s.aliases().end());
    for (auto& p : nn.peers())
      if (p.service_id() == s.service_id())
        zs.tasks.push_back({p.task_id(), p.slot(), p.address(), p.running()});
    zu.services.push_back(std::move(zs));
  }
  return zu;
}

// Zone actors follow the networks of the assignments.
void update_zones(network_ptr self, const pb::Assignments& as) {
  auto& st = self->state;
  if (!st.dns)
    return;
  std::map<std::string, dns::dns_zone_actor_type> keep;
  for (auto& nn : as.networks()) {
    auto& id = nn.network().id();
    auto z = st.zones.find(id);
    dns::dns_zone_actor_type zone;
    if (z != st.zones.end()) {
      zone = z->second;
      st.zones.erase(z);
    } else {
      zone = dns::spawn_dns_zone(self->system(), id, st.dns);
    }
    self
      ->request(zone, caf::infinite, dns_update_atom::value,
                zone_of(nn, ++st.zone_version))
      .then([](uint64_t) {},
            [id](caf::error& err) {
              logger("network")->warn("DNS zone of network {}: {}", id,
                                      caf::to_string(err));
            });
    keep.emplace(id, zone);
  }
  for (auto& [id, z] : st.zones) // no longer needed here
    caf::anon_send_exit(z, caf::exit_reason::user_shutdown);
  st.zones = std::move(keep);
}

// How often the routing mesh's rules are applied again.
constexpr auto mesh_refresh_interval = std::chrono::seconds(10);

void arm_refresh(network_ptr self) {
  auto& st = self->state;
  if (st.refresh_armed || !st.plane || !st.plane->mesh())
    return;
  st.refresh_armed = true;
  self->delayed_send(self, mesh_refresh_interval, net_refresh_atom::value);
}

void on_assign(network_ptr self, const pb::Assignments& as) {
  auto& st = self->state;
  if (!as.networks_set())
    return;
  // Nothing to do without networks, unless a previous daemon left some.
  if (!st.plane && as.networks().empty() && as.host_ports().empty()
      && !(as.full() && !st.cfg.netns_dir.empty()
           && exists(st.cfg.netns_dir))) {
    st.clean_start = st.clean_start || as.full();
    return;
  }
  if (!ensure_started(self, as.data_path_port()))
    return;
  st.plane->assign(as);
  update_zones(self, as);
  arm_refresh(self);
  st.last.Clear();
  st.last.set_networks_set(true);
  *st.last.mutable_networks() = as.networks();
  st.last.set_data_path_port(as.data_path_port());
  st.last.set_ingress_address(as.ingress_address());
  *st.last.mutable_host_ports() = as.host_ports();
}

// A local task's process exited: its addresses leave this node's DNS answers
// and VIP and mesh backends now, before its stop is reported and comes back
// with the assignments (which then change nothing here).
void withdraw(network_ptr self, const std::string& task_id) {
  auto& st = self->state;
  std::set<std::string> gone;
  for (auto& nn : *st.last.mutable_networks())
    for (auto& p : *nn.mutable_peers())
      if (p.task_id() == task_id && p.running()) {
        p.set_running(false);
        gone.insert(p.address());
      }
  if (gone.empty())
    return;
  for (auto& nn : *st.last.mutable_networks())
    for (auto& svc : *nn.mutable_services()) {
      auto& bs = *svc.mutable_backends();
      bs.erase(std::remove_if(bs.begin(), bs.end(),
                              [&gone](const std::string& b) {
                                return gone.count(b) != 0;
                              }),
               bs.end());
    }
  st.plane->assign(st.last);
  update_zones(self, st.last);
}

network_actor_type::behavior_type network_actor(network_ptr self,
                                                network_actor_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](net_assign_atom, const pb::Assignments& as) { on_assign(self, as); },
    [=](net_prepare_atom, const pb::Task& t) -> caf::result<std::string> {
      auto& st = self->state;
      if (!ensure_started(self, 0))
        return make_error(errc::internal, st.broken);
      auto path = st.plane->prepare(t);
      if (!path) {
        logger("network")->warn("prepare task_id={}: {}", t.id(),
                                path.error().message);
        return make_error(path.error());
      }
      if (st.dns) {
        // The task's DNS server sockets at 127.0.0.11:53, in its namespace.
        std::vector<std::string> nets;
        for (auto& a : t.networks())
          nets.push_back(a.network_id());
        auto socks = dns::open_dns_sockets_in(*path, dns::task_dns_ip,
                                              dns::task_dns_port);
        if (!socks) {
          st.plane->release(t.id());
          return make_error(errc::internal, "network: DNS sockets of task "
                                              + t.id() + ": "
                                              + socks.error().message);
        }
        if (auto l = st.listeners.find(t.id()); l != st.listeners.end())
          st.dns->remove_listener(l->second);
        st.listeners[t.id()] = st.dns->add_listener(std::move(*socks),
                                                    std::move(nets));
      }
      return std::move(*path);
    },
    [=](net_release_atom, const std::string& task_id) {
      auto& st = self->state;
      if (!st.plane)
        return;
      if (auto l = st.listeners.find(task_id); l != st.listeners.end()) {
        st.dns->remove_listener(l->second); // its sockets hold the namespace
        st.listeners.erase(l);
      }
      withdraw(self, task_id);
      if (auto s = st.plane->release(task_id); !s)
        logger("network")->warn("release task_id={}: {}", task_id,
                                s.error().message);
    },
    [=](net_refresh_atom) {
      auto& st = self->state;
      st.refresh_armed = false;
      if (!st.plane)
        return;
      if (auto s = st.plane->refresh_mesh(); !s)
        logger("network")->warn("routing mesh: {}", s.error().message);
      arm_refresh(self);
    },
  };
}

} // namespace

network_actor_type spawn_network_actor(caf::actor_system& sys,
                                       network_actor_config cfg) {
  if (cfg.detached)
    return sys.spawn<caf::detached>(network_actor, std::move(cfg));
  return sys.spawn(network_actor, std::move(cfg));
}

} // namespace actorswarm::network
