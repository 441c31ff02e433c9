// nft_mesh_rules: applies the routing mesh's rule sets through our library
// (os/nft_rules.*, os/nftables.*) in the caller's network namespace, for
// bench/mesh_bench.sh, which runs it inside namespaces of its own (the
// daemon does not wire the data plane yet). Never run it in the host's own
// namespace.
//
//   nft_mesh_rules host SANDBOX_ADDR HOST_DEV PUBLISHED TARGET BACKEND...
//   nft_mesh_rules sandbox SANDBOX_ADDR PUBLISHED TARGET BACKEND...
//   nft_mesh_rules loopback PUBLISHED BACKEND_PORT...
//   nft_mesh_rules remove
//
// host/sandbox: render_host/render_sandbox for one TCP port published in
// ingress mode, applied with apply_mesh's steps. loopback: the host table's
// local-client rule (ct mark, numgen DNAT in the output hook) for
// 127.0.0.1:PUBLISHED balanced over 127.0.0.1:BACKEND_PORT..., the shape
// ../shared/bench/l4proxy.sh can measure next to HAProxy (its backends share
// one address, so the map goes to address . port).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "os/nftables.hpp"

using namespace actorswarm;
using namespace actorswarm::nft;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: nft_mesh_rules host SANDBOX_ADDR HOST_DEV PUBLISHED "
               "TARGET BACKEND...\n"
               "       nft_mesh_rules sandbox SANDBOX_ADDR PUBLISHED TARGET "
               "BACKEND...\n"
               "       nft_mesh_rules loopback PUBLISHED BACKEND_PORT...\n"
               "       nft_mesh_rules remove\n");
  return 2;
}

uint16_t port(const char* x) {
  return static_cast<uint16_t>(std::strtoul(x, nullptr, 10));
}

int apply(const result<std::string>& script) {
  if (!script) {
    std::fprintf(stderr, "nft_mesh_rules: %s\n",
                 script.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "%s", script->c_str());
  auto done = run(-1, *script);
  if (!done) {
    std::fprintf(stderr, "nft_mesh_rules: %s\n", done.error().message.c_str());
    return 1;
  }
  return 0;
}

std::string loopback_script(uint16_t published,
                            const std::vector<uint16_t>& ports) {
  std::string map;
  for (size_t i = 0; i < ports.size(); ++i)
    map += (i > 0 ? ", " : "") + std::to_string(i) + " : 127.0.0.1 . "
           + std::to_string(ports[i]);
  return *render_delete(default_table) + "table ip actorswarm {\n"
         + "  chain mesh_local {\n"
           "    type nat hook output priority -100; policy accept;\n"
           "    fib daddr type local tcp dport "
         + std::to_string(published)
         + " ct mark set ct mark | 0x00100000 dnat ip addr . port to numgen "
           "inc mod "
         + std::to_string(ports.size()) + " map { " + map
         + " }\n  }\n"
           "  chain mesh_snat {\n"
           "    type nat hook postrouting priority srcnat; policy accept;\n"
           "    ct mark & 0x00100000 == 0x00100000 snat to 127.0.0.2\n"
           "  }\n}\n";
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return usage();
  const auto& mode = args[0];
  if (mode == "remove")
    return apply(render_delete(default_table));
  if (mode == "loopback" && args.size() >= 3) {
    std::vector<uint16_t> ports;
    for (size_t i = 2; i < args.size(); ++i)
      ports.push_back(port(args[i].c_str()));
    return apply(loopback_script(port(args[1].c_str()), ports));
  }
  mesh_state x;
  size_t at = 0;
  if (mode == "host" && args.size() >= 6) {
    x.sandbox_address = args[1];
    x.host_device = args[2];
    at = 3;
  } else if (mode == "sandbox" && args.size() >= 5) {
    x.sandbox_address = args[1];
    at = 2;
  } else {
    return usage();
  }
  ingress_port p{protocol::tcp, port(args[at].c_str()),
                 port(args[at + 1].c_str()),
                 {args.begin() + static_cast<long>(at) + 2, args.end()}};
  x.ingress_ports.push_back(p);
  if (mode == "host") {
    if (int rc = apply(render_host(x)); rc != 0)
      return rc;
    auto rep = ensure_forward_accept(-1, x.mark, x.table);
    return rep.ok() ? 0 : 1;
  }
  return apply(render_sandbox(x));
}
