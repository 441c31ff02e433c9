#pragma once

// The data plane's packet rules (DESIGN.md, Networking) as nftables script
// text, generated from plain state: pure functions, no IO, no libnftables
// (os/nftables.hpp applies the text). Every script replaces one table of
// ours in one transaction ("table ip T; delete table ip T; table ip T {...}"
// in one libnftables run), so a change of backends never leaves a moment
// without rules, and a connection already set up keeps its backend
// (conntrack holds the translation, not the rules).
//
// Three rule sets, one table each, all named `table` (default "actorswarm"):
// - render_vip: in each task's network namespace. Connections the task opens
//   to a service's VIP (TCP and UDP, any port, as Docker's VIP forwards all
//   ports) are DNAT'ed in the output hook to one of the service's running
//   tasks, round-robin per connection (`numgen inc`: the same spread as
//   IPVS's default rr; a conntrack entry pins the choice for the
//   connection's life). A VIP without backends refuses at once (TCP reset,
//   ICMP port unreachable) instead of leaving the client waiting on ARP.
// - render_sandbox: in the node's ingress sandbox namespace. A published
//   port arriving at the sandbox's link address is DNAT'ed to a task's
//   ingress-network address and target port (any node, round-robin), and
//   masqueraded, so the task answers the sandbox and the reply goes back the
//   way it came (Docker's ingress_sbox shape).
// - render_host: in the node's own (host) namespace. A port published in
//   ingress mode, addressed to any local address (prerouting for remote
//   clients, output for local ones), goes to the sandbox's link address; a
//   port published in host mode goes straight to the local task (a task in
//   the host namespace: redirected to its target port). Every such
//   connection gets our conntrack mark, and its packets our packet mark in
//   the forward hook, which the accept rule we insert into a host firewall's
//   `ip filter FORWARD` chain matches (os/nftables.hpp).

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::nft {

// -- constants ----------------------------------------------------------------

/// Name of our tables, and the comment tag of the rules we insert into other
/// tables. A node's daemon may use its own (letters, digits, '_').
inline constexpr const char* default_table = "actorswarm";

/// Name of the gateway's table in the host namespace (render_gateway), and
/// the comment tag of its FORWARD accept rule.
inline constexpr const char* default_gateway_table = "actorswarm_gw";

/// The mark bit(s) of our published-port connections: set in the conntrack
/// mark by our DNAT rules, copied to the packet mark in the forward hook.
/// Other bits of either mark are kept. Calico claims 0xffff0000 of the packet
/// mark and Kubernetes 0x4000/0x8000; pick another when sharing a host.
inline constexpr uint32_t default_mark = 0x00100000;

// -- state --------------------------------------------------------------------

/// Transport protocol of a published port.
enum class protocol : uint8_t { tcp, udp };

/// "tcp" or "udp".
const char* to_string(protocol x);

/// One service's virtual IP as one task's namespace sees it.
struct vip_service {
  /// The VIP, an IPv4 address ("10.0.1.2", no prefix length).
  std::string vip;
  /// The service's running tasks' addresses on the VIP's network, each at
  /// most once; round-robin in this order. Empty: connections are refused.
  std::vector<std::string> backends;
};

/// The VIP table of one task's namespace.
struct vip_state {
  std::string table = default_table;
  /// The services on the task's networks; each VIP at most once.
  std::vector<vip_service> services;
};

/// A port published in ingress mode (the routing mesh).
struct ingress_port {
  protocol proto = protocol::tcp;
  /// The port open on every node, 1-65535.
  uint16_t published = 0;
  /// The port the tasks listen on, 1-65535.
  uint16_t target = 0;
  /// The running tasks' addresses on the ingress network, on any node, each
  /// at most once. Empty: connections are refused.
  std::vector<std::string> backends;
};

/// A port published in host mode by a task on this node.
struct host_port {
  protocol proto = protocol::tcp;
  uint16_t published = 0;
  uint16_t target = 0;
  /// The task's address as the host namespace routes to it. Empty: the task
  /// runs in the host namespace and binds `target` itself; `published` is
  /// redirected to it when the two differ.
  std::string backend;
};

/// The routing mesh of one node: the input of render_host and render_sandbox.
struct mesh_state {
  std::string table = default_table;
  uint32_t mark = default_mark;
  /// The sandbox's end of the host <-> ingress sandbox veth pair (IPv4).
  /// Required when ingress_ports is not empty.
  std::string sandbox_address;
  /// The host end's device name. With localhost, packets arriving on it for
  /// 127.0.0.0/8 are dropped (route_localnet must not open the host's
  /// loopback services to the sandbox). Optional.
  std::string host_device;
  /// Also serve 127.0.0.1:P (and every local address) to local clients. The
  /// host end of the veth (and each host-mode task's route device) needs
  /// net.ipv4.conf.<dev>.route_localnet=1 for a 127.0.0.1 source to leave
  /// the host; our postrouting masquerade then gives it the link address.
  bool localhost = true;
  std::vector<ingress_port> ingress_ports;
  std::vector<host_port> host_ports;
};

/// The gateway bridge of a node (Docker's docker_gwbridge): the input of
/// render_gateway.
struct gateway_state {
  std::string table = default_gateway_table;
  uint32_t mark = default_mark;
  /// The node-local subnet of the tasks' gateway legs ("172.18.0.0/16").
  std::string subnet;
  /// The gateway bridge's device name in the host namespace.
  std::string bridge;
};

// -- generation ---------------------------------------------------------------

/// The script that replaces the VIP table of a task's namespace. Fails with
/// errc::invalid_spec (one line, nothing generated) on a bad address, a
/// duplicate VIP or backend, or a bad table name.
result<std::string> render_vip(const vip_state& x);

/// The script that replaces the table of the node's ingress sandbox.
result<std::string> render_sandbox(const mesh_state& x);

/// The script that replaces the table of the node's host namespace.
result<std::string> render_host(const mesh_state& x);

/// The script that replaces the gateway table of the node's host namespace.
/// Fails with errc::invalid_spec on a bad table name, subnet or device name,
/// or a zero mark.
result<std::string> render_gateway(const gateway_state& x);

/// The script that removes table `table` (of family ip) if it exists, and
/// succeeds if it does not.
result<std::string> render_delete(const std::string& table);

/// The rule we insert at the head of a host firewall's `ip filter FORWARD`
/// chain: accept packets carrying `mark` (our published-port connections,
/// both directions), commented with `tag`. Made of expressions iptables-nft
/// understands (meta mark, bitwise, cmp, accept, comment), so `iptables -L`
/// keeps working on that table. Without the "insert rule ..." prefix.
std::string forward_accept_rule(uint32_t mark, const std::string& tag);

/// True if `x` is an IPv4 address in dotted-quad form.
bool is_ipv4(const std::string& x);

/// True if `x` is an IPv4 subnet "a.b.c.d/n" (n in 0..32).
bool is_ipv4_cidr(const std::string& x);

/// True if `x` can name our table: 1-32 of [A-Za-z0-9_], not starting with a
/// digit.
bool is_table_name(const std::string& x);

} // namespace actorswarm::nft
