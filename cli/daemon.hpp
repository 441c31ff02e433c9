#pragma once

// `actorswarm daemon`: the lean `actorswarm` client validates the flags and
// execs `actorswarm-daemon` (installed next to it), which starts the node's
// actor system and serves the control socket until SIGINT/SIGTERM. So a CLI
// call never loads CAF, RocksDB or OpenSSL.

#include <cstdint>
#include <string>
#include <vector>

namespace actorswarm::cli {

/// Options of `actorswarm daemon`, already parsed and validated by the CLI.
struct daemon_options {
  std::string data_dir = "/var/lib/actorswarm";
  std::string listen_addr = "0.0.0.0:2377"; // cluster port, opened in swarm
  std::string control_path = "/run/actorswarm.sock"; // without unix://
  /// Group of the control socket (name or gid), as dockerd's --group; empty:
  /// group "actorswarm" if it exists, else the daemon's own (root's 0).
  std::string group;
  std::string log_level = "info"; // trace|debug|info|warn|error|critical|off
  int tick_ms = 100;              // Raft tick length
  /// Applied Raft entries between two store snapshots; 0: the node's default.
  uint64_t snapshot_interval = 0;
  /// A cluster-port connection that has not finished its TLS handshake by
  /// then is closed (--handshake-timeout, a Go duration; default 10s).
  uint64_t handshake_timeout_ms = 10'000;
  /// Inbound cluster-port connections not yet authenticated at once; more
  /// are closed at accept (--max-unauthenticated, default 256).
  uint64_t max_unauthenticated = 256;
  /// The node-local subnet of the tasks' gateway bridge (Docker's
  /// docker_gwbridge), "a.b.c.d/n" with n in 8..30 and no host bits;
  /// empty: 172.18.0.0/16; "none": no gateway, tasks have no way out
  /// (--gateway-subnet).
  std::string gateway_subnet;
  /// Where the embedded DNS forwards names it does not hold ("IP:PORT" or
  /// "IP", port 53; --dns-upstream, repeatable); empty: the nameservers of
  /// /etc/resolv.conf.
  std::vector<std::string> dns_upstreams;
};

/// File name of the daemon binary, looked up next to the client binary.
inline constexpr const char* daemon_binary_name = "actorswarm-daemon";

/// Runs the daemon in the foreground; returns the process exit code.
/// Prints one clear line on stderr and returns non-zero when the data dir is
/// in use by another daemon, corrupt or foreign, or the socket cannot bind.
/// Only `actorswarm-daemon` links it.
int run_daemon(const daemon_options& opts);

/// The argv `exec_daemon` passes: `program` then every option as
/// `--flag=value`, so a value that starts with '-' stays a value.
std::vector<std::string> daemon_argv(const std::string& program,
                                     const daemon_options& opts);

/// The path of `actorswarm-daemon` in the directory of `self_exe`.
std::string daemon_path(const std::string& self_exe);

/// Replaces this process with `actorswarm-daemon` from the directory of
/// /proc/self/exe (same pid, so callers can signal it as before). Returns
/// only on failure, after one line on stderr, with exit code 1.
int exec_daemon(const daemon_options& opts);

} // namespace actorswarm::cli
