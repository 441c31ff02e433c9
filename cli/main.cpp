// The `actorswarm` binary: the CLI client, and `actorswarm daemon`.
// The client path never starts a CAF actor system (DESIGN.md, Control
// channel): it parses, sends one protobuf frame over the Unix socket, prints.

#include <csignal>

#include "cli/app.hpp"
#include "cli/daemon.hpp"

int main(int argc, char** argv) {
  // A daemon that goes away mid-request must give an error, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  auto ctx = actorswarm::cli::system_context();
  ctx.run_daemon = actorswarm::cli::run_daemon;
  return actorswarm::cli::run(argc, argv, ctx);
}
