#pragma once

// The node's overlay data plane (DESIGN.md, Networking), in Docker's shape
// (libnetwork drivers/overlay): per network, a namespace holding a bridge
// (with the network's gateway address, as Docker's sandbox bridge has it)
// and a VXLAN device (VNI per network, UDP port `--data-path-port`, local
// address = the node's advertise address, learning off, ARP proxy on) with a
// static FDB and neighbour entry per remote task; per task, a namespace of
// its own with a veth leg into each of its networks' bridges, its address
// and routes. Plain structs in, results out; CAF-free.
//
// Threads: an overlay is not thread-safe. One owner (the network actor)
// calls it, one call at a time, from any thread: each call enters other
// namespaces only for its own length (os/netns.hpp) and the thread is back
// in its own namespace when the call returns.
//
// What it creates, and how a restarted daemon finds it: namespaces are
// pinned under `<netns_dir>` ("n-<network id>", "t-<task id>"), devices
// carry the node's tag (os/net_names.hpp). reconcile() at start-up adopts
// what is desired and removes the rest. Two things of ours live in the host
// namespace, the rest never does (the VXLAN device is created straight into
// its network's namespace, its UDP socket staying in the host namespace, see
// netlink_conn::create_vxlan; a leg goes straight across from the network's
// namespace into the task's): the host end of the ingress sandbox's link
// (ensure_sandbox), and the gateway.
//
// The gateway (overlay_gateway.cpp), the tasks' way to
// the outside world, as Docker's docker_gwbridge: a bridge in the host
// namespace ("as<tag>g0", the first address of a node-local subnet,
// 172.18.0.0/16 by default) with a veth leg into each task that is on a
// non-internal network, as its last interface, carrying its default route;
// ip_forward on in the host namespace, and an nftables table there
// (nft::render_gateway: masquerade out of any other device, our mark for a
// host firewall's FORWARD chain). It exists while some task has a leg on it:
// ensure_gateway/attach_gateway make it, remove_gateway takes it all away.
// reconcile() adopts it with the legs of adopted tasks (and reports their
// addresses), or removes it when none has one.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "os/net_names.hpp"
#include "os/netlink.hpp"
#include "os/netns.hpp"
#include "os/nftables.hpp"

namespace actorswarm::os {

/// Docker's docker_gwbridge subnet, the default gateway subnet.
inline constexpr ipv4_prefix default_gateway_subnet{ipv4{0xac120000u}, 16};

/// overlay_config::gateway_subnet of a node without a gateway.
inline constexpr ipv4_prefix gateway_off{ipv4{0}, 0};

/// The node's side of the overlay.
struct overlay_config {
  /// Where namespaces are pinned: `<data-dir>/netns`.
  std::string netns_dir;
  /// This node's id; its first node_tag_length characters tag every device.
  std::string node_id;
  /// The node's advertise (underlay) address: the VXLAN devices' local
  /// address, which peers send to.
  ipv4 underlay;
  /// The VXLAN UDP port (`--data-path-port`).
  uint16_t data_path_port = default_data_path_port;
  /// The underlay's MTU; 0: that of the host device holding `underlay`
  /// (1500 when none does). Overlay devices get this minus
  /// vxlan_overhead_bytes.
  uint32_t underlay_mtu = 0;
  /// The node-local subnet of the gateway bridge (prefix length 8..30): the
  /// bridge has its first address, each task's gateway leg another one (the
  /// caller hands them out). Must not overlap the host's own networks.
  /// Length 0 (gateway_off): no gateway, tasks have no way out; tests whose
  /// daemons run in the machine's own namespace use that.
  ipv4_prefix gateway_subnet = default_gateway_subnet;
  /// The gateway's nftables table in the host namespace, also the tag of its
  /// FORWARD accept rule.
  std::string gateway_table = nft::default_gateway_table;
  /// The mark bit of the gateway's connections (as the routing mesh's).
  uint32_t gateway_mark = nft::default_mark;
};

/// One overlay network as this node needs it.
struct network_desc {
  /// The network's id (names its namespace; os/net_names.hpp).
  std::string id;
  /// VXLAN network identifier, 1..vni_max, unique per network in the swarm.
  uint32_t vni = 0;
  /// The network's subnet ("10.0.1.0/24"; prefix length at most 30).
  ipv4_prefix subnet;
  /// The subnet's gateway, inside it; set on the bridge on every node (it
  /// never crosses the overlay: no flooding, no ARP over VXLAN).
  ipv4 gateway;
};

inline bool operator==(const network_desc& x, const network_desc& y) {
  return x.id == y.id && x.vni == y.vni && x.subnet == y.subnet
         && x.gateway == y.gateway;
}

/// A task of a network on some node, as its peers need to know it.
struct peer {
  /// The task's address on the network (its MAC is mac_from_ip of it).
  ipv4 task_ip;
  /// The underlay (advertise) address of the node that runs it.
  ipv4 node_ip;
};

/// One leg of a task: its interface on one network.
struct task_leg {
  /// The network (ensure_network'd first).
  std::string network_id;
  /// The task's address with the subnet's prefix length ("10.0.1.5/24").
  ipv4_prefix address;
  /// The interface's name inside the task's namespace ("eth0", "eth1", ...).
  std::string ifname = "eth0";
  /// Route everything else via the network's gateway (one leg of a task at
  /// most). Off: only the subnet is reachable.
  bool default_route = false;
};

/// A task's leg on the node's gateway bridge.
struct gateway_leg {
  /// The task's address in the gateway subnet, with its prefix length
  /// ("172.18.0.2/16"); not the subnet's first (the bridge's), network or
  /// broadcast address.
  ipv4_prefix address;
  /// The interface inside the task's namespace: the last one ("eth<N>" after
  /// its N network legs).
  std::string ifname;
};

/// A task as reconcile() should find it.
struct task_desc {
  std::string id;
  std::vector<task_leg> legs;
};

/// The node's ingress sandbox (the routing mesh; Docker's ingress_sbox): a
/// namespace pinned as "s-ingress" with a leg on the ingress network ("eth0",
/// the node's address there, no default route) and a veth link to the host
/// namespace ("eth1" inside, ingress_link_name() outside), its default route
/// via the host end. Published ports reach it over the link (os/nft_rules.hpp
/// render_host), and leave it over the ingress network (render_sandbox).
struct sandbox_desc {
  /// The ingress network (ensure_network'd first).
  std::string network_id;
  /// The node's address on it, with the subnet's length ("10.0.0.3/24").
  ipv4_prefix address;
  /// The link's subnet, at most /30: the host end gets its first address,
  /// the sandbox end the second. Link-local by default, so that it cannot
  /// clash with a routed subnet of the host's.
  ipv4_prefix link{{0xa9fe1e00}, 30}; // 169.254.30.0/30
};

/// What ensure_sandbox() set up.
struct sandbox_info {
  /// The namespace's pin.
  std::string netns_path;
  /// The host end's device name and address, the sandbox end's address.
  std::string host_device;
  ipv4 host_address;
  ipv4 sandbox_address;
};

/// Everything this node should have.
struct desired_state {
  std::vector<network_desc> networks;
  std::vector<task_desc> tasks;
};

/// What reconcile() did.
struct reconcile_report {
  std::vector<std::string> adopted_networks;
  std::vector<std::string> removed_networks;
  std::vector<std::string> adopted_tasks;
  std::vector<std::string> removed_tasks;
  /// Desired tasks without a namespace: their processes cannot be running
  /// in one; the caller restarts them (create_task, attach_task).
  std::vector<std::string> missing_tasks;
  /// Pins that pinned nothing (after a reboot) or had foreign names.
  std::vector<std::string> removed_files;
  /// Devices deleted: tagged ones in the host namespace, stale legs, stale
  /// bridges and VXLAN devices in network namespaces.
  std::vector<std::string> removed_devices;
  /// The gateway legs of adopted tasks, by task id (their addresses are
  /// taken); the gateway was removed when this is empty.
  std::map<std::string, gateway_leg> gateway_legs;
};

/// The data plane of one node. See the top of this file for threads.
class overlay {
public:
  /// `host`: the namespace holding the underlay (the daemon's own,
  /// netns::current() at start-up; a test's namespace standing for a host).
  overlay(overlay_config cfg, netns host);

  /// Validates the config, prepares the pin directory, connects to the host
  /// namespace and settles the MTU. Call once, first.
  status start();

  /// The overlay MTU (underlay MTU - 50); valid after start().
  uint32_t mtu() const noexcept {
    return mtu_;
  }

  /// The node's device tag; valid after start().
  const std::string& tag() const noexcept {
    return tag_;
  }

  /// The path of a task's pinned namespace (for the executor: setns into it,
  /// or hand it to the task's start gate).
  std::string task_netns_path(const std::string& task_id) const;

  // -- networks ---------------------------------------------------------------

  /// Makes the network's namespace, bridge (gateway address) and VXLAN
  /// device, or adopts them as they are (fixing what differs). Idempotent.
  /// Bad input (vni, subnet, gateway, id): errc::invalid_spec, nothing done.
  status ensure_network(const network_desc& desc);

  /// Reconciles the network's FDB and neighbour entries to exactly `peers`
  /// (peers on this node, node_ip == underlay, are skipped: the bridge
  /// reaches them). errc::not_found when the network was not ensured;
  /// errc::invalid_spec (nothing changed) for a task address outside the
  /// subnet or one address on two nodes.
  status set_peers(const std::string& network_id,
                   const std::vector<peer>& peers);

  /// Removes the network: the legs of tasks still on it, its VXLAN device
  /// and bridge (deleted now, so the VNI's port is free when this returns),
  /// its namespace. Removing an unknown network is not an error.
  status remove_network(const std::string& network_id);

  // -- tasks ------------------------------------------------------------------

  /// Makes (or opens, when pinned already) the task's namespace, `lo` up,
  /// and returns it open.
  result<netns> create_task(const std::string& task_id);

  /// Adds the task's leg on a network: a veth pair from the network's bridge
  /// into the task's namespace as `leg.ifname` (MAC mac_from_ip, overlay
  /// MTU), its address, and the default route when asked. Attaching a leg
  /// that exists is not an error; a leg of the same address left by a
  /// removed task whose namespace has not died yet is replaced. errc::not_found
  /// for a network not ensured or a task not created; errc::invalid_spec for an
  /// address outside the subnet or a bad interface name (nothing done).
  status attach_task(const std::string& task_id, const task_leg& leg);

  /// Deletes the task's leg on `leg.network_id` (found by its address);
  /// a missing leg is not an error.
  status detach_task(const std::string& task_id, const task_leg& leg);

  /// Unpins the task's namespace, which dies once nothing holds it any more
  /// (no process inside, no socket made in it, no open handle), and its legs
  /// with it. `delete_legs` true: deletes the legs first, so they are gone
  /// when this returns whoever still holds the namespace (one device
  /// deletion, tens of ms on a loaded host: docs/benchmarks-networks.md).
  /// False: the kernel deletes them with the namespace, asynchronously and
  /// batched across namespaces (cheapest when many tasks go at once). Removing
  /// an unknown task is not an error.
  status remove_task(const std::string& task_id, bool delete_legs = false);

  // -- the ingress sandbox ----------------------------------------------------

  /// Makes the ingress sandbox or adopts it as it is (fixing what differs),
  /// and sets what its rules need: ip_forward in both namespaces,
  /// route_localnet on the host end. Idempotent. errc::not_found when the
  /// network was not ensured; errc::invalid_spec for an address outside its
  /// subnet or a link subnet longer than /30 (nothing done).
  result<sandbox_info> ensure_sandbox(const sandbox_desc& desc);

  /// Removes the sandbox: the host link, its leg, its namespace. Removing a
  /// missing sandbox is not an error.
  status remove_sandbox();

  /// The sandbox's namespace path (it may not exist).
  std::string sandbox_netns_path() const;

  // -- start-up ---------------------------------------------------------------

  /// Adopts what `desired` names and removes everything else of ours: pinned
  /// namespaces, their devices, stale legs, tagged devices in the host
  /// namespace. Desired networks are ensured; desired tasks that are pinned
  /// get missing legs attached and foreign legs deleted. FDB and neighbour
  /// entries are not touched: call set_peers() for each network afterwards.
  /// The gateway: adopted tasks keep their gateway legs (found by their
  /// address in the gateway subnet, reported in gateway_legs, default route
  /// set again); other legs on the gateway bridge are deleted, and the
  /// gateway with its rules is removed when no adopted task has a leg (the
  /// host's nftables are not touched when there is no gateway bridge).
  result<reconcile_report> reconcile(const desired_state& desired);

  // -- gateway (overlay_gateway.cpp) --------------------------------------------

  /// The gateway bridge's address: the first of cfg.gateway_subnet.
  ipv4 gateway_address() const;

  /// Makes the gateway bridge in the host namespace (or adopts it, fixing its
  /// address and MTU), turns ip_forward on there and applies the gateway's
  /// rules (nft::apply_gateway). Idempotent; after the first success it
  /// returns at once until remove_gateway(). errc::invalid_spec for a bad
  /// gateway subnet, errc::refused when it is off (nothing done).
  status ensure_gateway();

  /// Adds the task's leg on the gateway bridge (ensure_gateway first): a veth
  /// pair from the bridge into the task's namespace as `leg.ifname` (MAC
  /// mac_from_ip, the underlay's MTU), its address, and the default route
  /// via gateway_address() (replacing one a network leg set). Attaching a leg
  /// that exists is not an error; one of the same address left by a task
  /// whose namespace has not died yet is replaced. errc::not_found for a task
  /// not created; errc::invalid_spec for an address outside the subnet or
  /// reserved, or a bad interface name (nothing done).
  status attach_gateway(const std::string& task_id, const gateway_leg& leg);

  /// Deletes the task's gateway leg (found by its address); a missing leg is
  /// not an error. The task keeps no default route.
  status detach_gateway(const std::string& task_id, const gateway_leg& leg);

  /// Removes the gateway: the table and its FORWARD accept rule, then every
  /// leg on the bridge and the bridge. ip_forward stays on (as Docker
  /// leaves it). Idempotent.
  status remove_gateway();

private:
  // -- member types -----------------------------------------------------------

  struct network_state {
    network_desc desc;
    netns ns;
    netlink_conn conn;
    int bridge = 0;
    int vxlan = 0;
  };

  // -- helpers ----------------------------------------------------------------

  status validate(const network_desc& desc) const;
  status build_network(const network_desc& desc, network_state& st);
  status adopt_network(const network_desc& desc, network_state& st);
  status adopt_bridge(network_state& st, std::vector<std::string>& removed);
  status adopt_vxlan(network_state& st, std::vector<std::string>& removed);
  status make_vxlan(network_state& st);
  status unpin_network(const std::string& network_id);
  status reconcile_legs(const desired_state& desired, reconcile_report& report);
  status remove_host_devices(reconcile_report& report);
  status attach_leg(const netns& ns, netlink_conn& conn, const task_leg& leg);
  status check_gateway_subnet() const;
  status adopt_gateway_bridge();
  status reconcile_gateway(const desired_state& adopted,
                           reconcile_report& report);
  result<nft::session*> gateway_rules();

  // -- member variables -------------------------------------------------------

  overlay_config cfg_;
  netns host_;
  netns_dir dir_;
  netlink_conn host_conn_;
  std::string tag_;
  uint32_t mtu_ = 0;
  std::map<std::string, network_state> networks_;
  /// The sandbox as last ensured (its leg is found by its address).
  std::optional<sandbox_desc> sandbox_;
  /// Devices removed by the last adopt, for reconcile's report.
  std::vector<std::string> adopt_removed_;
  /// The gateway bridge's index in the host namespace, 0 until
  /// ensure_gateway() succeeded (and after remove_gateway()).
  int gateway_bridge_ = 0;
  /// The gateway's rules session in the host namespace (kept: closing one
  /// after a replace waits for an RCU grace period).
  std::unique_ptr<nft::session> gateway_nft_;
};

} // namespace actorswarm::os
