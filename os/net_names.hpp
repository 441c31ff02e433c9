#pragma once

// Addresses and names of the node's data plane (DESIGN.md, Networking): IPv4
// addresses and prefixes, the MAC a task's address implies, and the names of
// the namespaces and devices the data plane creates. Pure functions, no IO.
//
// Naming scheme. Linux interface names have at most 15 characters (IFNAMSIZ
// 16 with the NUL), so device names are
//
//     as <tag:4> <kind:1> <payload: up to 8 lowercase hex digits>
//
// where `tag` is the first 4 characters of the node id (base 36), so every
// device says which node's daemon made it, and `kind` is
//     b  the bridge of a network        payload: VNI, 6 hex digits
//     v  the VXLAN device of a network  payload: VNI, 6 hex digits
//     t  a task's leg on the bridge     payload: task IPv4 address, 8 hex
//     i  the host end of the link to the ingress sandbox   payload: 000000
//     g  the node's gateway bridge      payload: "0" (one per node)
//     e  a task's leg on the gateway    payload: the task's gateway-subnet
//        bridge (its host-side end)      IPv4 address, 8 hex
// e.g. "as3f9kb001001", "as3f9kv001001", "as3f9kt0a000105" (15 characters),
// "as3f9kg0", "as3f9keac120002". The gateway bridge and its legs live in the
// node's host namespace (Docker's docker_gwbridge; os/overlay.hpp).
// The VNI is unique per network and a task's address unique within its
// network (IPAM never hands one out twice), so names never collide inside a
// network namespace. The task's end of a leg, inside the task's namespace, is
// named as Docker names it ("eth0", "eth1", ...): that is what the task sees.
//
// Namespaces are pinned as files under `<data-dir>/netns/`, a directory only
// this node's daemon uses: "n-<network id>" for a network's namespace (its
// bridge and VXLAN device), "t-<task id>" for a task's namespace, "s-ingress"
// for the routing mesh's ingress sandbox.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "messages/result.hpp"

namespace actorswarm::os {

// -- addresses ----------------------------------------------------------------

/// An IPv4 address, host byte order (10.0.0.1 is 0x0a000001).
struct ipv4 {
  uint32_t value = 0;
};

inline bool operator==(ipv4 x, ipv4 y) {
  return x.value == y.value;
}

inline bool operator!=(ipv4 x, ipv4 y) {
  return x.value != y.value;
}

inline bool operator<(ipv4 x, ipv4 y) {
  return x.value < y.value;
}

/// An IPv4 address with a prefix length (0..32): a subnet ("10.0.1.0/24"),
/// or an interface address with its subnet's length ("10.0.1.5/24").
struct ipv4_prefix {
  ipv4 addr;
  uint8_t length = 0;
};

inline bool operator==(const ipv4_prefix& x, const ipv4_prefix& y) {
  return x.addr == y.addr && x.length == y.length;
}

/// A link-layer (Ethernet) address.
using mac_address = std::array<uint8_t, 6>;

/// Parses dotted-quad "a.b.c.d"; errc::invalid_spec otherwise.
result<ipv4> parse_ipv4(const std::string& text);

/// Parses "a.b.c.d/n" (n in 0..32); errc::invalid_spec otherwise. The host
/// bits are kept: "10.0.1.5/24" is an interface address.
result<ipv4_prefix> parse_ipv4_prefix(const std::string& text);

/// "a.b.c.d".
std::string to_string(ipv4 x);

/// "a.b.c.d/n".
std::string to_string(const ipv4_prefix& x);

/// "02:42:0a:00:01:05".
std::string to_string(const mac_address& x);

/// The network mask of a prefix length (24 -> 0xffffff00).
uint32_t prefix_mask(uint8_t length);

/// True when `x` lies inside `net` (host bits of `net` ignored).
bool contains(const ipv4_prefix& net, ipv4 x);

/// The MAC a task's interface gets from its address, as Docker derives it
/// (02:42 then the four address bytes): locally administered, unicast, and
/// unique within a network because the address is, so peers need only the
/// address to fill FDB and neighbour entries.
mac_address mac_from_ip(ipv4 x);

// -- names --------------------------------------------------------------------

/// Longest interface name Linux accepts (IFNAMSIZ - 1).
constexpr size_t ifname_length_max = 15;

/// Characters of the node id in device names.
constexpr size_t node_tag_length = 4;

/// Largest VXLAN network identifier (24 bits).
constexpr uint32_t vni_max = 0xffffff;

/// VXLAN's encapsulation overhead over IPv4 (outer IP 20 + UDP 8 + VXLAN 8 +
/// inner Ethernet 14): an overlay's MTU is the underlay's minus this.
constexpr uint32_t vxlan_overhead_bytes = 50;

/// IANA's VXLAN port, Docker's default `--data-path-port`.
constexpr uint16_t default_data_path_port = 4789;

/// The kinds of device the data plane names.
enum class device_kind : char {
  bridge = 'b',
  vxlan = 'v',
  task_leg = 't',
  ingress_link = 'i',
  gateway_bridge = 'g',
  gateway_leg = 'e',
};

/// The tag of a node in device names: the first node_tag_length characters
/// of its id, which must be lowercase base 36 (errc::invalid_spec otherwise).
result<std::string> node_tag(const std::string& node_id);

/// "as<tag>b<vni>": a network's bridge. `tag` comes from node_tag().
std::string bridge_name(const std::string& tag, uint32_t vni);

/// "as<tag>v<vni>": a network's VXLAN device.
std::string vxlan_name(const std::string& tag, uint32_t vni);

/// "as<tag>t<ip>": the network-namespace end of a task's leg.
std::string task_leg_name(const std::string& tag, ipv4 task_ip);

/// "as<tag>i000000": the host namespace's end of the veth pair to the node's
/// ingress sandbox (the routing mesh).
std::string ingress_link_name(const std::string& tag);

/// "as<tag>g0": the node's gateway bridge (in the host namespace).
std::string gateway_bridge_name(const std::string& tag);

/// "as<tag>e<ip>": the host-namespace end of a task's leg on the gateway
/// bridge; `task_ip` is the task's address in the gateway subnet.
std::string gateway_leg_name(const std::string& tag, ipv4 task_ip);

/// A device name split into its parts.
struct device_name {
  std::string tag;
  device_kind kind = device_kind::bridge;
  /// The VNI (bridge, vxlan), the task's address (task_leg, gateway_leg),
  /// 0 (gateway_bridge).
  uint32_t value = 0;
};

/// Parses a name made by the functions above; nothing for any other name
/// ("eth0", "lo", a device of someone else).
std::optional<device_name> parse_device_name(const std::string& name);

/// The kinds of namespace the data plane pins.
enum class netns_kind : char {
  network = 'n',
  task = 't',
  sandbox = 's',
};

/// "n-<network id>": the pinned name of a network's namespace.
std::string network_netns_name(const std::string& network_id);

/// "t-<task id>": the pinned name of a task's namespace.
std::string task_netns_name(const std::string& task_id);

/// "s-<name>": the pinned name of a sandbox's namespace (the node's ingress
/// sandbox: "s-ingress").
std::string sandbox_netns_name(const std::string& name);

/// A pinned namespace's name split into its parts.
struct netns_name {
  netns_kind kind = netns_kind::network;
  std::string id;
};

/// Parses a name made by the two functions above; nothing otherwise.
std::optional<netns_name> parse_netns_name(const std::string& name);

/// True when `x` may name a task's interface: 1 to ifname_length_max
/// printable characters, no '/', ':' or blank, not ".", ".." or "lo".
bool valid_ifname(const std::string& x);

/// True when `id` may name a network or task in a file name: 1 to 64
/// characters of [0-9A-Za-z_.-], not starting with '.'.
bool valid_object_id(const std::string& id);

} // namespace actorswarm::os
