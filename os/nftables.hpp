#pragma once

// Applies the data plane's packet rules (os/nft_rules.hpp) through
// libnftables, never an `nft` subprocess, in a given network namespace.
//
// A namespace is named by an open fd (of /proc/PID/ns/net or of a pinned
// bind mount under <data-dir>/netns/), or -1 for the caller's own. For
// another namespace, the run happens on a short-lived thread that setns()
// into it, so the caller's thread never changes namespace. Runs are
// serialized process-wide (libnftables keeps some global state); one of our
// table scripts takes about a millisecond. All calls block: an actor calls
// them from a context that may block (a detached or blocking actor), and no
// call changes anything when it fails.
//
// What goes where (one table "actorswarm" per namespace, os/nft_rules.hpp):
// - each task namespace: apply_vip, on task start and whenever a service on
//   its networks gains or loses a running task; remove_table when the task
//   goes (or just drop the namespace: the table goes with it);
// - the node's host namespace and its ingress sandbox: apply_mesh, whenever
//   the published ports or their backends change, and periodically (it
//   re-inserts the FORWARD accept rule that a host firewall reload dropped);
//   remove_mesh when the node leaves the swarm or the daemon shuts down
//   for good.

#include <cstddef>
#include <cstdint>
#include <string>

#include "messages/result.hpp"
#include "os/nft_rules.hpp"

namespace actorswarm::nft {

/// Runs `script` (nft syntax, any number of commands) as one transaction in
/// the namespace `netns_fd`: all of it or, on error, nothing (errc::internal
/// with libnftables' message).
status run(int netns_fd, const std::string& script);

/// Parses and evaluates `script` against the namespace's current rules
/// without committing anything (libnftables' dry run).
status check(int netns_fd, const std::string& script);

/// Runs a list command ("list table ip actorswarm", "list ruleset", ...) and
/// returns libnftables' text output, with rule handles when `handles`.
result<std::string> list(int netns_fd, const std::string& command,
                         bool handles = false);

/// Removes table `table` (family ip) if it exists.
status remove_table(int netns_fd, const std::string& table = default_table);

/// Replaces the VIP table of a task's namespace (render_vip + run).
status apply_vip(int netns_fd, const vip_state& x);

/// What ensure_forward_accept found and did.
struct forward_report {
  /// `table ip filter` has a chain `FORWARD` (a host firewall: iptables-nft,
  /// Docker): our accept rule is needed there.
  bool chain_found = false;
  /// Accept rules inserted by this call (0 or 1).
  size_t inserted = 0;
  /// Surplus copies of our rule removed by this call.
  size_t removed = 0;
  /// The legacy iptables filter table (x_tables) is loaded in the namespace:
  /// nftables cannot see or change its FORWARD policy. If it drops, the
  /// admin must accept our packet mark there, e.g.
  /// `iptables -I FORWARD -m mark --mark 0x100000/0x100000 -j ACCEPT`.
  bool legacy_filter = false;
};

/// If `table ip filter` chain `FORWARD` exists in the namespace, makes sure
/// exactly one rule forward_accept_rule(mark, tag) is at its head (inserted
/// if missing); changes nothing else, never the chain's policy. Nothing to
/// do (chain_found false) without that chain.
result<forward_report> ensure_forward_accept(int netns_fd, uint32_t mark,
                                             const std::string& tag);

/// Removes every rule commented `tag` from `table ip filter` chain
/// `FORWARD`, if the chain exists; returns how many.
result<size_t> remove_forward_accept(int netns_fd, const std::string& tag);

/// The routing mesh of a node: replaces the sandbox's table, then the host
/// namespace's table, then ensures the FORWARD accept rule in the host
/// namespace (tag: the table name). `sandbox_fd` -1: no ingress sandbox (a
/// node with host-mode ports only); then x.ingress_ports must be empty.
result<forward_report> apply_mesh(int host_fd, int sandbox_fd,
                                  const mesh_state& x);

/// Undoes apply_mesh: the FORWARD accept rules tagged `table`, the host
/// table, and the sandbox's table (sandbox_fd -1: none). Idempotent.
status remove_mesh(int host_fd, int sandbox_fd,
                   const std::string& table = default_table);

} // namespace actorswarm::nft
