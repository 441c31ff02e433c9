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
//   nft_mesh_rules time-vip N
//
// host/sandbox: render_host/render_sandbox for one TCP port published in
// ingress mode, applied with apply_mesh's steps. loopback: the host table's
// local-client rule (ct mark, numgen DNAT in the output hook) for
// 127.0.0.1:PUBLISHED balanced over 127.0.0.1:BACKEND_PORT..., the shape
// ../shared/bench/l4proxy.sh can measure next to HAProxy (its backends share
// one address, so the map goes to address . port).

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
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

int time_vip(int n) {
  vip_state x;
  for (int s = 0; s < 3; ++s) {
    vip_service v{"10.0.1." + std::to_string(2 + s), {}};
    for (int b = 0; b < 10; ++b)
      v.backends.push_back("10.0." + std::to_string(2 + s) + "."
                           + std::to_string(10 + b));
    x.services.push_back(v);
  }
  using clock = std::chrono::steady_clock;
  auto us = [](clock::time_point a, clock::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
  };
  std::vector<double> open_us;
  std::vector<double> apply_us;
  std::vector<double> close_us;
  std::vector<double> oneshot_us;
  for (int i = 0; i < n; ++i) {
    int fd = -1;
    std::thread t([&fd] {
      if (::unshare(CLONE_NEWNET) == 0)
        fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    });
    t.join();
    if (fd < 0)
      return 1;
    auto t0 = clock::now();
    auto s = session::open(fd);
    auto t1 = clock::now();
    if (!s || !apply_vip(**s, x)) {
      std::fprintf(stderr, "apply failed\n");
      return 1;
    }
    auto t2 = clock::now();
    x.services[0].backends.pop_back();
    auto again = apply_vip(**s, x);
    x.services[0].backends.push_back("10.0.2.99");
    auto t3 = clock::now();
    s->reset();
    auto t4 = clock::now();
    auto oneshot = apply_vip(fd, x);
    auto t5 = clock::now();
    ::close(fd);
    if (!again || !oneshot)
      return 1;
    open_us.push_back(us(t0, t1));
    apply_us.push_back(us(t1, t2));
    apply_us.push_back(us(t2, t3));
    close_us.push_back(us(t3, t4));
    oneshot_us.push_back(us(t4, t5));
  }
  auto report = [](const char* name, std::vector<double>& xs) {
    std::sort(xs.begin(), xs.end());
    double sum = 0;
    for (auto v : xs)
      sum += v;
    std::printf("%s_mean_us %.0f us\n%s_p99_us %.0f us\n", name,
                sum / xs.size(), name, xs[xs.size() * 99 / 100]);
  };
  report("nft_session_open", open_us);
  report("nft_session_apply_vip", apply_us);
  report("nft_session_close", close_us);
  report("nft_oneshot_apply_vip", oneshot_us);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return usage();
  const auto& mode = args[0];
  if (mode == "remove")
    return apply(render_delete(default_table));
  if (mode == "time-vip" && args.size() == 2)
    return time_vip(std::max(1, std::atoi(args[1].c_str())));
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
  ingress_port p{protocol::tcp,
                 port(args[at].c_str()),
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
