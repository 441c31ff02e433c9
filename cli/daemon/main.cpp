// The `actorswarm-daemon` binary: `actorswarm daemon` execs it with the
// flags it validated (cli/daemon.hpp). It takes the same flags, so it also
// runs alone: `actorswarm-daemon --data-dir DIR --control-addr unix://PATH`.

#include <csignal>

#include "cli/app.hpp"
#include "cli/daemon.hpp"

int main(int argc, char** argv) {
  // A CLI client that goes away mid-reply must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  auto ctx = actorswarm::cli::system_context();
  ctx.run_daemon = actorswarm::cli::run_daemon;
  return actorswarm::cli::run_daemon_binary(argc, argv, ctx);
}
