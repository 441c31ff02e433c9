#pragma once

// One run of the CLI (`actorswarm service ls`, ...) as the command files in
// cli/commands/ see it: its streams and outside world (context), the commands
// it builds (command_plan), its calls to the daemon (resolves the host, sends
// requests, prints connection errors, daemon errors and warnings the way
// docker does) and its exit code. Not the agent's session with a dispatcher.

#include <optional>
#include <ostream>
#include <string>

#include "cli/app.hpp"
#include "cli/commands/command_plan.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::cli {

/// Per-frame wait for ordinary requests; swarm init and join may take a while.
constexpr int request_timeout_ms
  = static_cast<int>(cluster_defaults::cli_request_timeout_ms);

class invocation {
public:
  explicit invocation(context& ctx) : ctx_(ctx) {
    // nop
  }

  /// The value of -H/--host; empty when not given.
  std::string host_flag;

  /// Exit code of the invocation so far.
  int exit_code = 0;

  /// Which commands this invocation builds.
  command_plan plan;

  std::ostream& out() {
    return *ctx_.out;
  }

  std::ostream& err() {
    return *ctx_.err;
  }

  context& ctx() {
    return ctx_;
  }

  /// Prints `line` on stderr and sets the exit code to 1; returns 1.
  int fail(const std::string& line);

  /// The daemon address in use: -H, else ACTORSWARM_HOST, else the default.
  std::string host() const;

  /// Sends `req`; on success returns the reply (after printing its warning).
  /// On failure prints one line (unreachable daemon, `Error response from
  /// daemon: ...`), sets exit code 1 and returns nullopt.
  std::optional<pb::ControlReply> call(const pb::ControlRequest& req);

  /// Like call, but an error reply of the daemon is stored in `refused`
  /// instead of printed (exit code unchanged), for commands that word it
  /// themselves (`Error: no such service: x`); other failures print as
  /// call's. `refused.code()` stays 0 unless the daemon refused.
  std::optional<pb::ControlReply> call(const pb::ControlRequest& req,
                                       pb::ControlReply& refused);
  /// Like call, but hands every reply frame to `on_reply` (logs -f);
  /// returns true when the stream ended cleanly or was stopped by on_reply.
  bool stream(const pb::ControlRequest& req,
              const std::function<bool(const pb::ControlReply&)>& on_reply);

private:
  bool reply_ok(const pb::ControlReply& reply);

  context& ctx_;
  pb::ControlReply* refused_ = nullptr;
};

} // namespace actorswarm::cli
