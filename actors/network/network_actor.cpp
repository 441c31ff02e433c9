#include "actors/network/network_actor.hpp"

#include <sys/stat.h>

#include "caf/all.hpp"

#include "actors/dispatcher/assignments.hpp"
#include "actors/network/data_plane.hpp"
#include "actors/network/network_plane.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"

namespace actorswarm::network {

namespace {

struct network_state {
  network_actor_config cfg;
  std::unique_ptr<data_plane> dp;
  std::unique_ptr<network_plane> plane;
  /// Why the data plane could not start ("" while it did or was not tried).
  std::string broken;
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
    st.dp = make_os_data_plane(oc);
  }
  if (auto s = st.dp->start(); !s) {
    st.broken = "network: data plane: " + s.error().message;
    logger("network")->error("{}", st.broken);
    st.dp.reset();
    return false;
  }
  st.plane = std::make_unique<network_plane>(*st.dp);
  logger("network")->info("data plane started node_id={} data_path_port={}",
                          st.cfg.node_id, port);
  return true;
}

void on_assign(network_ptr self, const pb::Assignments& as) {
  auto& st = self->state;
  if (!as.networks_set())
    return;
  // Nothing to do without networks, unless a previous daemon left some.
  if (!st.plane && as.networks().empty()
      && !(as.full() && !st.cfg.netns_dir.empty() && exists(st.cfg.netns_dir)))
    return;
  if (!ensure_started(self, as.data_path_port()))
    return;
  st.plane->assign(as);
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
      return std::move(*path);
    },
    [=](net_release_atom, const std::string& task_id) {
      auto& st = self->state;
      if (!st.plane)
        return;
      if (auto s = st.plane->release(task_id); !s)
        logger("network")->warn("release task_id={}: {}", task_id,
                                s.error().message);
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
