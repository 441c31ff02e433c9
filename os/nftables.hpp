#pragma once

// Applies the data plane's packet rules (os/nft_rules.hpp) through
// libnftables, never an `nft` subprocess, in a given network namespace.
//
// A namespace is named by an open fd (of /proc/PID/ns/net or of a pinned
// bind mount under <data-dir>/netns/), or -1 for the caller's own. A
// session's netlink socket is opened in the namespace by a short-lived
// thread that setns() into it, so the caller's thread never changes
// namespace; the socket stays there, and runs go through it from any thread.
// Runs are serialized process-wide (libnftables keeps some global state).
// All calls block; no call changes anything when it fails.
//
// Cost: a run of one of our tables takes about 0.5 ms. Closing a libnftables
// context right after a transaction that deleted something (every replace
// does) waits for the kernel to free the old objects (an RCU grace period:
// ~10 ms on a loaded 2-core machine). So keep a `session` per namespace you
// update (each task namespace, the host, the sandbox) and drop it with the
// namespace; the free functions taking an fd open and close one per call,
// which is fine off the hot path (tests, teardown, periodic checks).
//
// What goes where (one table "actorswarm" per namespace, os/nft_rules.hpp):
// - each task namespace: apply_vip, on task start (before the task is
//   reported running) and whenever a service on its networks gains or loses
//   a running task; the table goes with the namespace;
// - the node's host namespace and its ingress sandbox: apply_mesh, whenever
//   the published ports or their backends change, and periodically (it
//   re-inserts the FORWARD accept rule a host firewall reload dropped);
//   remove_mesh when the node leaves the swarm or the daemon shuts down for
//   good;
// - the node's host namespace, table "actorswarm_gw": apply_gateway when the
//   gateway bridge is made (os/overlay.hpp), remove_gateway when its last
//   task goes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "messages/result.hpp"
#include "os/nft_rules.hpp"

struct nft_ctx;

namespace actorswarm::nft {

/// A libnftables context (with its netlink socket) bound to one network
/// namespace, kept across runs. Its socket and a dup of the fd hold the
/// namespace alive: destroy the session when the namespace goes. Thread-safe
/// (runs are serialized).
class session {
public:
  /// Opens a context in the namespace `netns_fd` (-1: the caller's). The fd
  /// is duplicated; the caller keeps its own.
  static result<std::unique_ptr<session>> open(int netns_fd);

  ~session();

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Runs `script` (nft syntax, any number of commands) as one transaction:
  /// all of it or, on error, nothing (errc::internal, libnftables' message).
  status run(const std::string& script);

  /// Parses and evaluates `script` against the namespace's current rules
  /// without committing anything (libnftables' dry run).
  status check(const std::string& script);

  /// Runs a list command ("list table ip actorswarm", "list ruleset", ...)
  /// and returns libnftables' text output, with rule handles when `handles`.
  result<std::string> list(const std::string& command, bool handles = false);

  /// The namespace's fd (owned by the session), -1 for the caller's own.
  int netns_fd() const {
    return netns_fd_;
  }

private:
  session(int netns_fd, nft_ctx* ctx);

  result<std::string> exec(const std::string& script, bool dry_run,
                           bool handles);

  int netns_fd_;
  nft_ctx* ctx_;
};

/// session::open(netns_fd)->run(script), closing the context afterwards.
status run(int netns_fd, const std::string& script);

/// session::open(netns_fd)->check(script).
status check(int netns_fd, const std::string& script);

/// session::open(netns_fd)->list(command, handles).
result<std::string> list(int netns_fd, const std::string& command,
                         bool handles = false);

/// Removes table `table` (family ip) if it exists.
status remove_table(session& ns, const std::string& table = default_table);
status remove_table(int netns_fd, const std::string& table = default_table);

/// Replaces the VIP table of a task's namespace (render_vip + run).
status apply_vip(session& ns, const vip_state& x);
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
/// it holds exactly one rule commented `tag`, forward_accept_rule(mark, tag):
/// inserted at the head if missing, surplus or different ones deleted, one
/// transaction. Changes nothing else, never the chain's policy. Nothing to
/// do (chain_found false) without that chain.
result<forward_report> ensure_forward_accept(session& host, uint32_t mark,
                                             const std::string& tag);
result<forward_report> ensure_forward_accept(int netns_fd, uint32_t mark,
                                             const std::string& tag);

/// Removes every rule commented `tag` from `table ip filter` chain
/// `FORWARD`, if the chain exists; returns how many.
result<size_t> remove_forward_accept(session& host, const std::string& tag);
result<size_t> remove_forward_accept(int netns_fd, const std::string& tag);

/// The routing mesh of a node: replaces the sandbox's table, then the host
/// namespace's table, then ensures the FORWARD accept rule in the host
/// namespace (tag: the table name). `sandbox` null (fd -1): no ingress
/// sandbox (a node with host-mode ports only); then x.ingress_ports must be
/// empty.
result<forward_report> apply_mesh(session& host, session* sandbox,
                                  const mesh_state& x);
result<forward_report> apply_mesh(int host_fd, int sandbox_fd,
                                  const mesh_state& x);

/// Undoes apply_mesh: the host table, the FORWARD accept rules tagged
/// `table`, and the sandbox's table (none if null / -1). Idempotent.
status remove_mesh(session& host, session* sandbox,
                   const std::string& table = default_table);
status remove_mesh(int host_fd, int sandbox_fd,
                   const std::string& table = default_table);

/// The gateway of a node (tasks' way out, Docker's docker_gwbridge):
/// replaces the gateway table in the host namespace (render_gateway), then
/// ensures the FORWARD accept rule there, tagged with x.table. The tag is
/// the gateway's own, not the mesh's: the rule is the same (same mark), but
/// each owner removes only its own, so remove_mesh never cuts the tasks' way
/// out and remove_gateway never the routing mesh's.
result<forward_report> apply_gateway(session& host, const gateway_state& x);
result<forward_report> apply_gateway(int host_fd, const gateway_state& x);

/// Undoes apply_gateway: the table and the FORWARD accept rules tagged
/// `table`. Idempotent.
status remove_gateway(session& host,
                      const std::string& table = default_gateway_table);
status remove_gateway(int host_fd,
                      const std::string& table = default_gateway_table);

} // namespace actorswarm::nft
