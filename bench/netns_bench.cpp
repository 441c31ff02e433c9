// Issue #10: the per-task namespace set-up cost of the data plane. In a
// namespace of its own standing for the host (the host's own is never
// touched), it makes one overlay network, then N task namespaces with one leg
// each on it (create_task + attach_task: namespace, pin, lo up, veth into the
// network's bridge, MAC, MTU, address, up, default route), fills the
// network's FDB and neighbour entries for N remote tasks (set_peers), and
// removes the tasks (deleting their legs, then again leaving the legs to the
// kernel's namespace clean-up) and the network. The tasks also get their
// leg on the node's gateway (the way out: a veth from the gateway bridge in
// the "host" namespace, address, default route), timed apart. Prints `name
// value unit` lines. Needs root.
//
//   build/netns_bench [--tasks N]

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "os/overlay.hpp"

using namespace actorswarm;
using namespace actorswarm::os;

namespace {

using clock_type = std::chrono::steady_clock;

// This process's CPU time (user + system) in ms: unlike wall time, it does
// not grow with other processes' load on a shared machine.
double cpu_ms() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3
           + static_cast<double>(t.tv_usec) / 1e3;
  };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0)
    .count();
}

bool check(const status& x, const char* what) {
  if (!x)
    std::fprintf(stderr, "%s: %s\n", what, x.error().message.c_str());
  return x.ok();
}

void print_stats(const char* name, std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  double sum = 0;
  for (auto x : xs)
    sum += x;
  std::printf("%s_mean %.3f ms\n", name, sum / static_cast<double>(xs.size()));
  std::printf("%s_p50 %.3f ms\n", name, xs[xs.size() / 2]);
  std::printf("%s_p99 %.3f ms\n", name, xs[(xs.size() * 99) / 100]);
  std::printf("%s_total %.3f ms\n", name, sum);
}

task_leg leg_of(int i) {
  task_leg leg;
  leg.network_id = "bench";
  // 10.30.0.0/16, from .0.2 on.
  leg.address = ipv4_prefix{ipv4{0x0a1e0002u + static_cast<uint32_t>(i)}, 16};
  leg.default_route = true;
  return leg;
}

// Makes N tasks with one leg each; prints the set-up figures under `name`.
bool setup(overlay& ov, int tasks, const char* name) {
  std::vector<double> xs;
  auto all0 = clock_type::now();
  auto cpu0 = cpu_ms();
  for (int i = 0; i < tasks; ++i) {
    auto id = "task" + std::to_string(i);
    auto s0 = clock_type::now();
    auto ns = ov.create_task(id);
    if (!ns || !check(ov.attach_task(id, leg_of(i)), "attach_task"))
      return false;
    xs.push_back(ms_since(s0));
  }
  std::printf("%s_wall %.3f ms\n", name, ms_since(all0));
  std::printf("%s_cpu_mean %.3f ms\n", name,
              (cpu_ms() - cpu0) / static_cast<double>(tasks));
  print_stats(name, xs);
  return true;
}

// Gives each of the N tasks its gateway leg; prints the figures under `name`.
bool gateway(overlay& ov, int tasks, const char* name) {
  auto t0 = clock_type::now();
  if (!check(ov.ensure_gateway(), "ensure_gateway"))
    return false;
  std::printf("netns_gateway_setup %.3f ms\n", ms_since(t0));
  std::vector<double> xs;
  auto all0 = clock_type::now();
  auto cpu0 = cpu_ms();
  for (int i = 0; i < tasks; ++i) {
    auto s0 = clock_type::now();
    // 172.18.0.0/16, from .0.2 on.
    gateway_leg leg{
      ipv4_prefix{ipv4{0xac120002u + static_cast<uint32_t>(i)}, 16}, "eth1"};
    if (!check(ov.attach_gateway("task" + std::to_string(i), leg),
               "attach_gateway"))
      return false;
    xs.push_back(ms_since(s0));
  }
  std::printf("%s_wall %.3f ms\n", name, ms_since(all0));
  std::printf("%s_cpu_mean %.3f ms\n", name,
              (cpu_ms() - cpu0) / static_cast<double>(tasks));
  print_stats(name, xs);
  return true;
}

// The veth legs left in the network's namespace.
int legs_left(const netns_dir& dir) {
  auto ns = dir.open(network_netns_name("bench"));
  auto conn = ns ? netlink_conn::open(*ns) : result<netlink_conn>{ns.error()};
  auto links = conn ? conn->links()
                    : result<std::vector<link_info>>{conn.error()};
  if (!links)
    return -1;
  int n = 0;
  for (auto& x : *links)
    n += x.kind == "veth" ? 1 : 0;
  return n;
}

// Removes the N tasks, deleting their legs (`delete_legs`) or leaving them
// to the kernel; then waits (at most 30 s) until no leg is left.
bool teardown(overlay& ov, const netns_dir& dir, int tasks, bool delete_legs,
              const char* name) {
  std::vector<double> xs;
  auto all0 = clock_type::now();
  auto cpu0 = cpu_ms();
  for (int i = 0; i < tasks; ++i) {
    auto s0 = clock_type::now();
    if (!check(ov.remove_task("task" + std::to_string(i), delete_legs),
               "remove_task"))
      return false;
    xs.push_back(ms_since(s0));
  }
  std::printf("%s_cpu_mean %.3f ms\n", name,
              (cpu_ms() - cpu0) / static_cast<double>(tasks));
  print_stats(name, xs);
  for (int round = 0; round < 30000 && legs_left(dir) != 0; ++round)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::printf("%s_until_legs_gone %.3f ms\n", name, ms_since(all0));
  return legs_left(dir) == 0;
}

bool run(overlay& ov, const netns_dir& dir, int tasks) {
  network_desc net;
  net.id = "bench";
  net.vni = 4242;
  net.subnet = ipv4_prefix{ipv4{0x0a1e0000u}, 16};
  net.gateway = ipv4{0x0a1e0001u};
  auto t0 = clock_type::now();
  if (!check(ov.ensure_network(net), "ensure_network"))
    return false;
  std::printf("netns_network_setup %.3f ms\n", ms_since(t0));
  if (!setup(ov, tasks, "netns_task_setup")
      || !gateway(ov, tasks, "netns_task_gateway_leg"))
    return false;
  std::vector<peer> peers;
  for (int i = 0; i < tasks; ++i)
    peers.push_back(peer{ipv4{0x0a1e8002u + static_cast<uint32_t>(i)},
                         ipv4{0xc0a80002u}});
  t0 = clock_type::now();
  if (!check(ov.set_peers("bench", peers), "set_peers"))
    return false;
  std::printf("netns_set_peers_%d %.3f ms\n", tasks, ms_since(t0));
  if (!teardown(ov, dir, tasks, true, "netns_task_teardown_sync")
      || !setup(ov, tasks, "netns_task_setup_again")
      || !teardown(ov, dir, tasks, false, "netns_task_teardown_lazy"))
    return false;
  t0 = clock_type::now();
  if (!check(ov.remove_network("bench"), "remove_network"))
    return false;
  std::printf("netns_network_teardown %.3f ms\n", ms_since(t0));
  t0 = clock_type::now();
  if (!check(ov.remove_gateway(), "remove_gateway"))
    return false;
  std::printf("netns_gateway_teardown %.3f ms\n", ms_since(t0));
  return true;
}

} // namespace

int main(int argc, char** argv) {
  int tasks = 100;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--tasks") == 0)
      tasks = std::max(1, std::atoi(argv[i + 1]));
  if (::geteuid() != 0) {
    std::fprintf(stderr, "netns_bench needs root\n");
    return 2;
  }
  std::string tmpl = "/tmp/as-netns-bench-" + std::to_string(::getpid())
                     + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return 1;
  netns_dir world{tmpl + "/world"};
  bool ok = check(world.prepare(), "prepare");
  if (ok) {
    // The "host": a namespace of our own; its underlay address on lo.
    auto host = world.create("host");
    ok = host.ok();
    if (ok) {
      overlay_config cfg;
      cfg.netns_dir = tmpl + "/netns";
      cfg.node_id = "bnch000000000000000000000";
      cfg.underlay = ipv4{0xc0a80001u};
      cfg.underlay_mtu = 1500;
      overlay ov{cfg, std::move(*host)};
      ok = check(ov.start(), "start")
           && run(ov, netns_dir{cfg.netns_dir}, tasks);
      ov.reconcile(desired_state{}); // whatever a failure left
      netns_dir{cfg.netns_dir}.release();
    }
    world.remove("host");
    world.release();
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return ok ? 0 : 1;
}
