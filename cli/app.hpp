#pragma once

// The `actorswarm` command line: docker-style commands, flags, tables and
// messages (DESIGN.md, Users). Everything the CLI touches outside itself
// comes in through `context` (streams, clocks, sleep, the control transport,
// the daemon entry point), so tests drive whole commands against a fake
// daemon without sockets, sleeps or CAF.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "cli/daemon.hpp"
#include "net/control_client.hpp"

namespace actorswarm::cli {

class command_plan;

/// Sends one request to the daemon at `socket_path`; net::control_call's
/// contract (each reply frame to the handler, `timeout_ms` < 0 waits forever).
using transport_fn = std::function<net::call_outcome(
  const std::string& socket_path, const pb::ControlRequest& req,
  const net::reply_handler& on_reply, int timeout_ms)>;

/// The outside world of one CLI invocation.
struct context {
  std::ostream* out = nullptr; ///< command output
  std::ostream* err = nullptr; ///< errors, warnings
  std::string host_env;        ///< value of ACTORSWARM_HOST, "" when unset
  bool out_is_tty = false;     ///< redraw progress in place when true
  transport_fn call;           ///< talks to the daemon
  std::function<int64_t()> wall_now_ns;  ///< ns since the Unix epoch
  std::function<int64_t()> mono_now_ns;  ///< monotonic ns, for timeouts
  std::function<void(int64_t)> sleep_ns; ///< waits between progress polls
  std::function<int(const daemon_options&)> run_daemon; ///< `daemon`
  /// Reads a secret line (`swarm unlock`): on a terminal after `prompt`,
  /// without echo; else one line of stdin, trimmed. None when stdin fails.
  std::function<std::optional<std::string>(const std::string& prompt)> read_key;
  /// The CLI's environment (compose interpolation); unset: empty.
  std::function<std::optional<std::string>(const std::string& name)> lookup_env;
};

/// Default control socket address.
inline constexpr const char* default_host = "unix:///run/actorswarm.sock";

/// Runs one invocation (`argv[0]` is the program name); returns the exit
/// code: 0 on success, 1 on any error (after one clear line on stderr).
/// Builds only the commands that argv names (command_plan.hpp).
int run(int argc, const char* const* argv, context& ctx);

/// Like run, building the commands `plan` says (tests compare a plan for
/// argv with one that builds everything).
int run(int argc, const char* const* argv, context& ctx,
        const command_plan& plan);

/// The `actorswarm-daemon` binary's entry: parses `argv` as the flags of
/// `actorswarm daemon` and calls `ctx.run_daemon`; returns the exit code.
int run_daemon_binary(int argc, const char* const* argv, context& ctx);

/// A context on the real process: std::cout/std::cerr, ACTORSWARM_HOST,
/// isatty(1), the system clocks, nanosleep and net::control_call.
/// `run_daemon` is left for main() to set.
context system_context();

} // namespace actorswarm::cli
