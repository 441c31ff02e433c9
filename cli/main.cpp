// The `actorswarm` binary: the CLI client. It links no CAF, RocksDB or
// OpenSSL (DESIGN.md, Control channel): it parses, sends one protobuf frame
// over the Unix socket, prints. `actorswarm daemon` execs actorswarm-daemon.

#include <csignal>

#include "cli/app.hpp"
#include "cli/daemon.hpp"

int main(int argc, char** argv) {
  // A daemon that goes away mid-request must give an error, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  auto ctx = actorswarm::cli::system_context();
  ctx.run_daemon = actorswarm::cli::exec_daemon;
  return actorswarm::cli::run(argc, argv, ctx);
}
