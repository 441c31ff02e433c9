#pragma once

// The shared part of bench/net_daemon_bench.cpp: options, /proc readers,
// and the daemon in a host namespace of the benchmark's own (daemon_proc).

#include "bench/cluster_bench_util.hpp"

#include <arpa/inet.h>
#include <poll.h>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "os/netns.hpp"
#include "os/nftables.hpp"
#include "support/netns_hosts.hpp"

namespace {

using namespace actorswarm::bench;
namespace pb = actorswarm::pb;
namespace os = actorswarm::os;
namespace nft = actorswarm::nft;
using actorswarm::test::netns_hosts;

#ifndef AS_BINARY
#  define AS_BINARY "actorswarm"
#endif

struct options {
  std::string binary = AS_BINARY;
  std::string parts = "start,kill,vip";
  long replicas = 100;
  int rounds = 3;
  int kills = 10;
  int duration = 5;
  int wrk_rounds = 3;
  int conns = 64;
  int workers = 2;
  std::string perf_out;
};

const char* network_name = "benchnet";

void on_signal(int) {
  stop_requested = true;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "10.0.1.5/24" -> "10.0.1.5".
std::string bare(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

// utime + stime of `pid` in ms (0 when gone).
double cpu_ms(pid_t pid) {
  auto all = read_all("/proc/" + std::to_string(pid) + "/stat");
  auto close = all.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream in(all.substr(close + 2));
  std::string f;
  std::vector<std::string> xs;
  while (in >> f)
    xs.push_back(f);
  // fields after ")": state(3) ... utime is field 14, stime 15 (1-based in
  // the whole line): indices 11 and 12 here.
  if (xs.size() < 13)
    return 0;
  double ticks = std::stod(xs[11]) + std::stod(xs[12]);
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// utime + stime in ms of each live thread of `pid`, by thread id.
std::map<std::string, double> thread_cpu_ms(pid_t pid) {
  std::map<std::string, double> out;
  auto base = "/proc/" + std::to_string(pid) + "/task";
  for (auto& tid : dir_entries(base)) {
    auto all = read_all(base + "/" + tid + "/stat");
    auto close = all.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream in(all.substr(close + 2));
    std::vector<std::string> xs;
    for (std::string f; in >> f;)
      xs.push_back(f);
    if (xs.size() >= 13)
      out[tid] = (std::stod(xs[11]) + std::stod(xs[12])) * 1000.0
                 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return out;
}

// The biggest CPU time a single thread spent between two snapshots.
double busiest_thread_ms(const std::map<std::string, double>& before,
                         const std::map<std::string, double>& after) {
  double top = 0;
  for (auto& [tid, ms] : after) {
    auto b = before.find(tid);
    top = std::max(top, ms - (b == before.end() ? 0 : b->second));
  }
  return top;
}

// Time on a CPU of `pid`'s main thread in ms (/proc/<pid>/schedstat, ns
// resolution: a task process is one thread, from the start gate to exec).
double run_ms(pid_t pid) {
  std::istringstream in(read_all("/proc/" + std::to_string(pid)
                                 + "/schedstat"));
  double ns = 0;
  in >> ns;
  return ns / 1e6;
}

// True when `text` holds the address `ip` as a whole token.
bool names_addr(const std::string& text, const std::string& ip) {
  for (auto at = text.find(ip); at != std::string::npos;
       at = text.find(ip, at + 1)) {
    auto before = at == 0 ? ' ' : text[at - 1];
    auto end = at + ip.size();
    auto after = end < text.size() ? text[end] : ' ';
    if (!std::isdigit(static_cast<unsigned char>(before)) && before != '.'
        && !std::isdigit(static_cast<unsigned char>(after)))
      return true;
  }
  return false;
}

// -- the daemon in its host namespace -----------------------------------------

struct daemon_proc {
  const netns_hosts* hosts = nullptr;
  std::string binary, dir, data_dir, socket, log, cli_log;
  pid_t pid = -1;

  std::vector<std::string> cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {binary, "-H", "unix://" + socket});
    return args;
  }

  // Runs the CLI; on failure prints the call and its output.
  bool run_cli(const std::vector<std::string>& args,
               double timeout_ms = 120'000) const {
    auto out = dir + "/cli.out";
    auto rc = run(cli(args), out, timeout_ms);
    auto text = read_all(out);
    std::ofstream(cli_log, std::ios::app) << text;
    ::unlink(out.c_str());
    if (rc == 0)
      return true;
    std::string call;
    for (auto& a : args)
      call += " " + a;
    progress("FAILED (exit " + std::to_string(rc) + "):" + call + "\n" + text);
    return false;
  }

  bool start() {
    dir = hosts->dir() + "/node0";
    ::mkdir(dir.c_str(), 0755);
    data_dir = dir + "/data";
    socket = dir + "/ctl.sock";
    log = dir + "/daemon.log";
    cli_log = dir + "/cli.log";
    pid = hosts->spawn(0,
                       {binary, "daemon", "--data-dir", data_dir,
                        "--control-addr", "unix://" + socket, "--listen-addr",
                        hosts->addr(0) + ":2377"},
                       log);
    if (pid < 0)
      return false;
    pb::ControlRequest req;
    req.mutable_info();
    auto t0 = steady::now();
    while (!stop_requested && ms_since(t0) < 10'000) {
      pb::ControlReply rep;
      if (control(socket, req, rep, 1'000))
        return run_cli({"swarm", "init", "--advertise-addr", hosts->addr(0)});
      sleep_ms(20);
    }
    return false;
  }

  // Task ids with a namespace pinned under the data dir.
  std::vector<std::string> task_pins() const {
    std::vector<std::string> out;
    for (auto& n : dir_entries(data_dir + "/netns"))
      if (n.compare(0, 2, "t-") == 0)
        out.push_back(n.substr(2));
    return out;
  }

  // service rm, then waits (bounded) until no task process and no task
  // namespace is left; the elapsed ms, or -1.
  double remove(const std::vector<std::string>& services) {
    std::vector<std::string> args = {"service", "rm"};
    args.insert(args.end(), services.begin(), services.end());
    auto t0 = steady::now();
    if (!run_cli(args))
      return -1;
    while (!stop_requested && ms_since(t0) < 60'000) {
      if (task_processes(data_dir).empty() && task_pins().empty())
        return ms_since(t0);
      sleep_ms(5);
    }
    return -1;
  }

  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      if (wait_child(pid, 15'000) == -1)
        progress("daemon did not stop on SIGTERM; killed");
      pid = -1;
    }
    // Tasks run in namespaces of their own (not the harness's): any left
    // is killed by its pid.
    for (int round = 0; round < 5 && !data_dir.empty(); ++round) {
      auto left = task_processes(data_dir);
      if (left.empty())
        break;
      for (auto& t : left)
        ::kill(t.pid, SIGKILL);
      sleep_ms(50);
    }
  }
};

// Tasks of `service` in state RUNNING with desired state RUNNING.
std::vector<pb::Task> running_tasks(const daemon_proc& d,
                                    const std::string& service) {
  std::vector<pb::Task> all, out;
  if (!tasks_of(d.socket, service, all))
    return out;
  for (auto& t : all)
    if (t.status().state() == pb::RUNNING && t.desired_state() == pb::RUNNING)
      out.push_back(t);
  return out;
}

// Task `t`'s address on its first network ("" when none).
std::string addr_of(const pb::Task& t) {
  return t.networks_size() > 0 && t.networks(0).addresses_size() > 0
           ? bare(t.networks(0).addresses(0))
           : "";
}

// Its service's VIP on the first network ("" when none).
std::string vip_of(const pb::Task& t) {
  return t.endpoint().virtual_ips_size() > 0
           ? bare(t.endpoint().virtual_ips(0).addr())
           : "";
}

// Runs `fn` inside the namespace pinned for task `id`; false when it is not.
bool in_task_ns(const daemon_proc& d, const std::string& id,
                const std::function<void()>& fn) {
  auto ns = os::netns::open(d.data_dir + "/netns/t-" + id);
  return ns && static_cast<bool>(os::run_in_netns(*ns, fn));
}

void conntrack_time_wait_1s(const daemon_proc& d, const std::string& id) {
  in_task_ns(d, id, [] {
    std::ofstream("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait")
      << "1\n";
  });
}

} // namespace
