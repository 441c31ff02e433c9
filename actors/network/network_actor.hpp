#pragma once

// The network actor: the node's data plane (DESIGN.md, Networking), one per
// node, spawned by the node supervisor on workers and managers like the
// agent. It owns the data plane (os::overlay and the task namespaces' nft
// sessions, through data_plane.hpp) and follows the assignments the agent
// forwards (network_plane.hpp). Every call it makes blocks on netlink, so it
// runs detached (a thread of its own, never a CAF worker's).
//
// Protocol: network_interface.hpp.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/network/network_interface.hpp"

namespace actorswarm::network {

class data_plane;

struct network_actor_config {
  /// `<data-dir>/netns`.
  std::string netns_dir;
  std::string node_id;
  /// The node's advertise address (host or host:port): the VXLAN underlay.
  std::string addr;
  /// Makes the data plane once the data path port is known (the first
  /// network part of the assignments); empty: the real one
  /// (make_os_data_plane). Tests pass a fake.
  std::function<std::unique_ptr<data_plane>(uint16_t data_path_port)> make;
  /// Run on a thread of its own (the daemon); false under the test
  /// coordinator.
  bool detached = true;
  /// The embedded DNS: a zone actor per network, a server socket pair at
  /// 127.0.0.11:53 in each task namespace (needs root and real namespaces:
  /// off with a fake data plane).
  bool dns = true;
  /// The tasks' gateway subnet ("172.18.0.0/16"); empty: the default
  /// (os::default_gateway_subnet); "none": no gateway (os::gateway_off).
  std::string gateway_subnet;
  /// Upstream resolvers of the embedded DNS ("IP:PORT" or "IP");
  /// empty: the nameservers of /etc/resolv.conf.
  std::vector<std::string> dns_upstreams;
};

network_actor_type spawn_network_actor(caf::actor_system& sys,
                                       network_actor_config cfg);

} // namespace actorswarm::network
