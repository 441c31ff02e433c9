#pragma once

// Links, addresses, routes, FDB and neighbour entries over rtnetlink through
// libnl-route-3 (no `ip` subprocesses), in one network namespace per
// connection: a netlink socket keeps the namespace it was opened in, so a
// connection opened for a namespace works there from any thread, without the
// thread entering it. libnl stays inside netlink.cpp (this header only names
// its socket type).
//
// Every call is one synchronous request: it returns once the kernel has
// acknowledged (or refused) it. Errors are errc::internal with libnl's text
// ("netlink: create bridge as3f9kb001001: Object exists"), errc::not_found
// for a missing device. A connection serves one caller at a time.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "os/net_names.hpp"
#include "os/netns.hpp"

struct nl_sock;

namespace actorswarm::os {

/// A device as the kernel reports it.
struct link_info {
  int index = 0;
  std::string name;
  /// "bridge", "vxlan", "veth", ... ("" for devices without a kind: lo).
  std::string kind;
  /// The index of its bridge, 0 when it is no bridge port.
  int master = 0;
  bool up = false;
  uint32_t mtu = 0;
  /// Its link-layer address (zero for devices without one).
  mac_address mac{};
};

/// What a VXLAN device is made of, as the kernel reports it.
struct vxlan_info {
  uint32_t vni = 0;
  uint16_t port = 0;
  ipv4 local;
  bool learning = true;
  bool proxy = false;
};

/// A new VXLAN device.
struct vxlan_spec {
  std::string name;
  uint32_t vni = 0;
  /// UDP port of the data path (the `--data-path-port`).
  uint16_t port = default_data_path_port;
  /// Source address of the encapsulated packets: the node's underlay
  /// (advertise) address.
  ipv4 local;
  uint32_t mtu = 0;
  /// The namespace the device goes into (nullptr: the connection's own).
  /// The device's UDP socket stays in the connection's namespace: see
  /// create_vxlan().
  const netns* target = nullptr;
  /// Bridge to enslave it to, an index in the target namespace (0: none).
  int master = 0;
};

/// A new veth pair: this end in the connection's namespace, the peer in
/// `peer_ns` under `peer_name`.
struct veth_spec {
  std::string name;
  uint32_t mtu = 0;
  /// Bridge (index in the connection's namespace) to enslave this end to.
  int master = 0;
  std::string peer_name;
  /// The peer's namespace (nullptr: the connection's own).
  const netns* peer_ns = nullptr;
  mac_address peer_mac{};
  bool set_peer_mac = false;
};

/// A static FDB entry of a VXLAN device: frames to `mac` go to `dst`.
struct fdb_entry {
  mac_address mac{};
  ipv4 dst;
};

/// A static neighbour (ARP) entry: `ip` is at `mac`.
struct neigh_entry {
  ipv4 ip;
  mac_address mac{};
};

/// A route-netlink connection bound to one network namespace. Move-only.
class netlink_conn {
public:
  // -- constructors, destructors ----------------------------------------------

  netlink_conn() = default;
  ~netlink_conn();
  netlink_conn(netlink_conn&& other) noexcept;
  netlink_conn& operator=(netlink_conn&& other) noexcept;
  netlink_conn(const netlink_conn&) = delete;
  netlink_conn& operator=(const netlink_conn&) = delete;

  /// A connection working in `ns` (the calling thread enters it for the
  /// length of the socket() call only).
  static result<netlink_conn> open(const netns& ns);

  /// A connection working in the calling thread's namespace.
  static result<netlink_conn> open_current();

  /// False for a default-constructed or moved-from connection.
  bool valid() const noexcept {
    return sock_ != nullptr;
  }

  // -- links ------------------------------------------------------------------

  /// All devices of the namespace.
  result<std::vector<link_info>> links();

  /// The device named `name`; errc::not_found when there is none.
  result<link_info> link(const std::string& name);

  /// The VXLAN settings of device `index` (errc::not_found: not a VXLAN).
  result<vxlan_info> vxlan(int index);

  /// Creates a bridge, up, with `mtu` (0: the kernel's default) and `mac`
  /// (nullptr: the kernel's choice, which follows its ports; a fixed one
  /// keeps the gateway's neighbour entries in the tasks valid).
  status create_bridge(const std::string& name, uint32_t mtu,
                       const mac_address* mac = nullptr);

  /// Creates a VXLAN device, up, learning off (the FDB is static), ARP proxy
  /// on (it answers ARP requests from its neighbour entries, so no ARP
  /// crosses the overlay), no L2/L3 miss notifications.
  ///
  /// With `spec.target` set, the device is made in the target namespace in
  /// the same request (IFLA_NET_NS_FD), while the kernel keeps the device's
  /// UDP socket and routing in the namespace that asked: the connection's.
  /// That is how Docker's overlay driver has it (it makes the device in the
  /// host namespace and moves it into the network's sandbox): encapsulated
  /// packets leave and arrive through the host's underlay (its advertise
  /// address, its routes), while the device itself sits on the network's
  /// bridge, out of the host's sight. Doing both in one request leaves no
  /// moment at which the device exists in the host namespace.
  status create_vxlan(const vxlan_spec& spec);

  /// Creates a veth pair; this end up (and enslaved to `spec.master` when
  /// non-zero), the peer down: set it up in its namespace (set_up), once it
  /// has its address. The kernel cannot open the peer in the same request.
  status create_veth(const veth_spec& spec);

  /// Sets a device up or down.
  status set_up(int index, bool up);

  /// Sets a device's MTU.
  status set_mtu(int index, uint32_t mtu);

  /// Deletes a device (both ends of a veth pair); errc::not_found when it is
  /// gone already.
  status delete_link(int index);

  // -- addresses and routes ---------------------------------------------------

  /// The IPv4 addresses of device `index`.
  result<std::vector<ipv4_prefix>> addresses(int index);

  /// Adds an IPv4 address (and so the route to its subnet); adding one that
  /// is there already is not an error.
  status add_address(int index, const ipv4_prefix& addr);

  /// Removes an IPv4 address.
  status delete_address(int index, const ipv4_prefix& addr);

  /// Adds (or replaces) the default route via `gateway` on device `index`.
  status set_default_route(ipv4 gateway, int index);

  /// The index of the device that holds address `addr`; errc::not_found when
  /// none does.
  result<int> index_of_address(ipv4 addr);

  // -- FDB and neighbour entries ----------------------------------------------

  /// The static (permanent) FDB entries of VXLAN device `index`.
  result<std::vector<fdb_entry>> fdb(int index);

  /// Adds or replaces a permanent FDB entry on VXLAN device `index`
  /// (`bridge fdb replace <mac> dev <vxlan> dst <dst> self permanent`).
  status set_fdb(int index, const fdb_entry& entry);

  /// Removes an FDB entry; a missing one is not an error.
  status delete_fdb(int index, const fdb_entry& entry);

  /// The permanent IPv4 neighbour entries of device `index`.
  result<std::vector<neigh_entry>> neighbours(int index);

  /// Adds or replaces a permanent IPv4 neighbour entry on device `index`.
  status set_neighbour(int index, const neigh_entry& entry);

  /// Removes an IPv4 neighbour entry; a missing one is not an error.
  status delete_neighbour(int index, ipv4 ip);

private:
  explicit netlink_conn(nl_sock* sock) : sock_(sock) {
    // nop
  }

  nl_sock* sock_ = nullptr;
};

} // namespace actorswarm::os
