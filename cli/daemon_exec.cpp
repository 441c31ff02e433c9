// exec_daemon (cli/daemon.hpp): the client hands `actorswarm daemon` over to
// the `actorswarm-daemon` binary next to it.

#include "cli/daemon.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace actorswarm::cli {

std::vector<std::string> daemon_argv(const std::string& program,
                                     const daemon_options& opts) {
  std::vector<std::string> argv{program,
                                "--data-dir=" + opts.data_dir,
                                "--listen-addr=" + opts.listen_addr,
                                "--control-addr=unix://" + opts.control_path,
                                "--log-level=" + opts.log_level,
                                "--tick-ms=" + std::to_string(opts.tick_ms)};
  // The cluster port's bounds, when not the defaults.
  const daemon_options defaults;
  if (opts.handshake_timeout_ms != defaults.handshake_timeout_ms)
    argv.push_back("--handshake-timeout="
                   + std::to_string(opts.handshake_timeout_ms) + "ms");
  if (opts.max_unauthenticated != defaults.max_unauthenticated)
    argv.push_back("--max-unauthenticated="
                   + std::to_string(opts.max_unauthenticated));
  if (!opts.group.empty())
    argv.push_back("--group=" + opts.group);
  if (!opts.gateway_subnet.empty())
    argv.push_back("--gateway-subnet=" + opts.gateway_subnet);
  for (auto& x : opts.dns_upstreams)
    argv.push_back("--dns-upstream=" + x);
  if (opts.snapshot_interval > 0)
    argv.push_back("--snapshot-interval="
                   + std::to_string(opts.snapshot_interval));
  return argv;
}

std::string daemon_path(const std::string& self_exe) {
  auto slash = self_exe.rfind('/');
  auto dir = slash == std::string::npos ? std::string{"."}
                                        : self_exe.substr(0, slash);
  return dir + "/" + daemon_binary_name;
}

int exec_daemon(const daemon_options& opts) {
  char self[4096];
  auto n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    std::cerr << "actorswarm: cannot find the daemon binary: /proc/self/exe: "
              << std::strerror(errno) << '\n';
    return 1;
  }
  self[n] = '\0';
  auto path = daemon_path(self);
  auto args = daemon_argv(path, opts);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(path.c_str(), argv.data());
  std::cerr << "actorswarm: cannot run the daemon: " << path << ": "
            << std::strerror(errno) << '\n';
  return 1;
}

} // namespace actorswarm::cli
