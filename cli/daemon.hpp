#pragma once

// `actorswarm daemon`: starts the node's actor system and serves the control
// socket until SIGINT/SIGTERM.

#include <string>

namespace actorswarm::cli {

/// Options of `actorswarm daemon`, already parsed and validated by the CLI.
struct daemon_options {
  std::string data_dir = "/var/lib/actorswarm";
  std::string listen_addr = "0.0.0.0:2377";  // cluster port, opened in swarm
  std::string control_path = "/run/actorswarm.sock";  // without unix://
  std::string log_level = "info";  // trace|debug|info|warn|error|critical|off
  int tick_ms = 100;               // Raft tick length
};

/// Runs the daemon in the foreground; returns the process exit code.
/// Prints one clear line on stderr and returns non-zero when the data dir is
/// in use by another daemon, corrupt or foreign, or the socket cannot bind.
int run_daemon(const daemon_options& opts);

} // namespace actorswarm::cli
