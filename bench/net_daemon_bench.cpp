// Networking through the real daemon (issue #10, "Benchmarks"): one
// `actorswarm daemon` started inside a host network namespace this program
// creates (tests/support/netns_hosts: a "switch" namespace with a bridge and
// one host namespace on it, pinned under a temp dir, all removed at the end;
// the machine's own namespace is never changed), driven with the real CLI
// binary as a user would, timed from the CLI's call to the observed state.
// Prints `name value unit` lines on stdout, progress as `# ...` on stderr.
//
// Parts (--parts, comma-separated; default all three):
//   start  a 100-replica service (`host sleep 3600`) with `--network` on an
//          overlay network and the same service without a network, in
//          alternating order over --rounds rounds: CLI call -> `service ls`
//          says 100 running (polled every 5 ms through the control socket),
//          and the daemon's CPU time (utime + stime) and the task processes'
//          CPU time (the start gate's set-up before exec) over that window;
//          the networked/plain ratio and the extra cost per task. Then
//          `service rm` until no task process and no task namespace is left.
//   kill   a 3-replica service `srv` and a client service `cli` on the
//          overlay; --kills times: kill -9 one running srv task's process
//          (its pid from the daemon's task state, checked against the
//          process's ACTORSWARM_TASK_ID) and time until (1) `tasks.srv`
//          asked at 127.0.0.11:53 from inside the client task's namespace no
//          longer lists its address and (2) the client's VIP table (`table
//          ip actorswarm`, listed through libnftables in its namespace) no
//          longer names it (each watched by a thread of its own, polling
//          back to back); then until the replacement is running and in
//          both. Median and max; also when the killed task's actor saw the
//          exit (its FAILED status's timestamp), to split the node's part
//          from the control plane's round trip.
//   vip    nginx (--workers per task, 1 KiB /index.html) as three services
//          on the overlay, `web1` and `webd` (1 replica each) and `web3` (3
//          replicas); wrk (2 threads, --conns connections, --duration s,
//          keep-alive and `Connection: close`) inside the client task's
//          namespace (nsenter --net=<data-dir>/netns/t-<id>) against web1's
//          VIP, straight to webd's task address (a twin backend: only the
//          path differs), and against web3's VIP; --wrk-rounds interleaved
//          rounds, medians, and the ratio VIP/direct. Direct and VIP
//          connections never go to the same nginx: the client's TCP
//          timestamps differ per destination address (VIP or task), so a SYN
//          on a port the other path used moments ago meets the server's
//          TIME_WAIT socket with an older timestamp, is dropped (PAWS) and
//          retransmitted after 1 s. The client's SYN retransmissions and
//          conntrack's failed inserts and drops are printed per round, with
//          each wrk run's CLOCK_MONOTONIC start and end (to cut a `perf
//          record -a -k CLOCK_MONOTONIC` profile into the runs).
//          Conntrack's TIME_WAIT is set to 1 s in the namespaces of these tasks
//          (as bench/mesh_bench.sh does), so a new connection per request does
//          not fill the table.
//
// Usage (root; build first: cmake --build build -- -j2 net_daemon_bench):
//   nice -n 19 build/net_daemon_bench [--binary PATH] [--parts start,kill,vip]
//       [--replicas 100] [--rounds 3] [--kills 10] [--duration 5]
//       [--wrk-rounds 3] [--conns 64] [--workers 2] [--perf-out FILE]
//   --binary  the actorswarm CLI (default: the one of this build)
//   --perf-out FILE  `perf record -g` of the daemon over each networked
//             create (FILE.<round>.create) and its removal (FILE.<round>.rm);
//             ASBENCH_PERF_EVENT=sched:sched_switch records where threads
//             block instead of CPU samples
//   ASBENCH_KEEP=1 keeps the daemon's log (copied to /tmp/net_daemon_bench.log)
// Every process it starts (daemon, tasks, wrk) it stops by PID; the
// namespaces, pins and the temp dir are removed (netns_hosts::close), and
// what survived, if anything, is printed as `# leftover: ...`.

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

// -- start: 100 replicas with and without a network ---------------------------

struct start_figures {
  std::vector<double> wall, cli, daemon_cpu, busiest_thread, task_cpu,
    first_start, last_start, rm;
};

bool start_once(daemon_proc& d, const options& o, bool networked,
                start_figures& f) {
  auto name = std::string(networked ? "net" : "plain")
              + std::to_string(o.replicas);
  std::vector<std::string> args = {"service",
                                   "create",
                                   "-d",
                                   "--name",
                                   name,
                                   "--replicas",
                                   std::to_string(o.replicas),
                                   "--restart-delay",
                                   "0s"};
  if (networked)
    args.insert(args.end(), {"--network", network_name});
  args.insert(args.end(), {"host", "sleep", "3600"});
  // perf on the daemon (and the task processes it starts) over the
  // networked creations and removals, when asked.
  auto perf_start = [&](const std::string& file) -> pid_t {
    if (o.perf_out.empty() || !networked)
      return -1;
    const char* event = std::getenv("ASBENCH_PERF_EVENT");
    std::vector<std::string> args = {"/usr/bin/perf", "record", "-q", "-g"};
    if (event != nullptr) // e.g. sched:sched_switch: where threads block
      args.insert(args.end(), {"-e", event});
    else
      args.insert(args.end(), {"-F", "1999"});
    args.insert(args.end(), {"-p", std::to_string(d.pid), "-o", file});
    auto pid = spawn(args, d.dir + "/perf.log");
    sleep_ms(500); // perf attaches to every thread first
    return pid;
  };
  auto perf_stop = [](pid_t pid) {
    if (pid > 0) {
      ::kill(pid, SIGINT);
      wait_child(pid, 60'000);
    }
  };
  static int perf_round = 0; // networked creations so far
  auto perf_file = o.perf_out + "." + std::to_string(perf_round + 1);
  perf_round += networked ? 1 : 0;
  auto perf = perf_start(perf_file + ".create");
  auto cpu0 = cpu_ms(d.pid);
  auto threads0 = thread_cpu_ms(d.pid);
  auto wall0 = std::chrono::system_clock::now();
  auto t0 = steady::now();
  if (!d.run_cli(args))
    return false;
  auto cli = ms_since(t0);
  auto ms = wait_running(d.socket, name, o.replicas, t0, 5, 120'000);
  auto cpu = cpu_ms(d.pid) - cpu0;
  auto busiest = busiest_thread_ms(threads0, thread_cpu_ms(d.pid));
  if (ms < 0) {
    progress(name + ": not all running within 120 s");
    return false;
  }
  // The task processes' own CPU (the gate's set-up, exec, sleep's start).
  double task_cpu = 0;
  for (auto& p : task_processes(d.data_dir))
    task_cpu += run_ms(p.pid);
  std::vector<double> starts;
  auto base = std::chrono::duration_cast<std::chrono::nanoseconds>(
                wall0.time_since_epoch())
                .count();
  for (auto& t : running_tasks(d, name))
    if (t.status().started_at_ns() > 0)
      starts.push_back(static_cast<double>(t.status().started_at_ns() - base)
                       / 1e6);
  std::sort(starts.begin(), starts.end());
  if (networked && d.task_pins().size() != static_cast<size_t>(o.replicas))
    progress(name + ": " + std::to_string(d.task_pins().size())
             + " task namespaces pinned, expected "
             + std::to_string(o.replicas));
  perf_stop(perf);
  perf = perf_start(perf_file + ".rm");
  auto rm = d.remove({name});
  perf_stop(perf);
  char line[256];
  std::snprintf(line, sizeof line,
                "%s: all running after %.0f ms (CLI %.0f ms), daemon CPU %.0f "
                "ms (its busiest thread %.0f ms), tasks' CPU %.0f ms, "
                "processes started %.0f..%.0f ms, rm %.0f ms",
                name.c_str(), ms, cli, cpu, busiest, task_cpu,
                starts.empty() ? 0 : starts.front(),
                starts.empty() ? 0 : starts.back(), rm);
  progress(line);
  f.wall.push_back(ms);
  f.cli.push_back(cli);
  f.daemon_cpu.push_back(cpu);
  f.busiest_thread.push_back(busiest);
  f.task_cpu.push_back(task_cpu);
  if (!starts.empty()) {
    f.first_start.push_back(starts.front());
    f.last_start.push_back(starts.back());
  }
  f.rm.push_back(rm);
  return rm >= 0;
}

bool part_start(daemon_proc& d, const options& o) {
  progress("start: " + std::to_string(o.replicas)
           + " replicas, with and without a network, "
           + std::to_string(o.rounds) + " rounds");
  start_figures net, plain;
  for (int r = 0; r < o.rounds && !stop_requested; ++r) {
    bool net_first = r % 2 == 1;
    for (int k = 0; k < 2; ++k) {
      bool networked = (k == 0) == net_first;
      if (!start_once(d, o, networked, networked ? net : plain))
        return false;
    }
  }
  auto n = static_cast<double>(o.replicas);
  auto put = [&](const std::string& tag, const start_figures& f) {
    figure("start_" + tag + "_all_running_ms", median(f.wall), "ms");
    figure("start_" + tag + "_all_running_max_ms", max_of(f.wall), "ms");
    figure("start_" + tag + "_cli_ms", median(f.cli), "ms");
    figure("start_" + tag + "_last_process_started_ms", median(f.last_start),
           "ms");
    figure("start_" + tag + "_daemon_cpu_ms", median(f.daemon_cpu), "ms");
    figure("start_" + tag + "_daemon_busiest_thread_cpu_ms",
           median(f.busiest_thread), "ms");
    figure("start_" + tag + "_task_cpu_ms", median(f.task_cpu), "ms");
    figure("start_" + tag + "_rm_ms", median(f.rm), "ms");
  };
  put("plain", plain);
  put("net", net);
  figure("start_net_vs_plain_ratio", median(net.wall) / median(plain.wall),
         "ratio");
  figure("start_net_extra_wall_per_task_ms",
         (median(net.wall) - median(plain.wall)) / n, "ms");
  figure("start_net_extra_daemon_cpu_per_task_ms",
         (median(net.daemon_cpu) - median(plain.daemon_cpu)) / n, "ms");
  figure("start_net_extra_task_cpu_per_task_ms",
         (median(net.task_cpu) - median(plain.task_cpu)) / n, "ms");
  return true;
}

// -- kill: out of DNS and balancing --------------------------------------------

// A UDP socket made inside the client's namespace, asking 127.0.0.11:53.
class dns_asker {
public:
  explicit dns_asker(int fd) : fd_(fd) {
    // nop
  }
  ~dns_asker() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  dns_asker(const dns_asker&) = delete;
  dns_asker& operator=(const dns_asker&) = delete;

  // The A records of `name`; false when no answer came within `timeout_ms`.
  bool ask(const std::string& name, std::vector<std::string>& out,
           int timeout_ms = 200) {
    out.clear();
    auto id = static_cast<uint16_t>(++id_);
    std::string q;
    q += static_cast<char>(id >> 8);
    q += static_cast<char>(id & 0xff);
    q += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    size_t from = 0;
    while (from <= name.size()) {
      auto dot = name.find('.', from);
      if (dot == std::string::npos)
        dot = name.size();
      q += static_cast<char>(dot - from);
      q += name.substr(from, dot - from);
      from = dot + 1;
    }
    q += std::string("\x00\x00\x01\x00\x01", 5);
    if (::send(fd_, q.data(), q.size(), 0) < 0)
      return false;
    auto t0 = steady::now();
    unsigned char buf[1500];
    while (ms_since(t0) < timeout_ms) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0)
        return false;
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 12 || buf[0] != (id >> 8) || buf[1] != (id & 0xff))
        continue; // a late answer to an earlier query
      return parse(buf, static_cast<size_t>(n), out);
    }
    return false;
  }

private:
  static bool skip_name(const unsigned char* b, size_t n, size_t& i) {
    while (i < n) {
      auto len = b[i];
      if ((len & 0xc0) == 0xc0) {
        i += 2;
        return i <= n;
      }
      ++i;
      if (len == 0)
        return true;
      i += len;
    }
    return false;
  }

  static bool parse(const unsigned char* b, size_t n,
                    std::vector<std::string>& out) {
    auto an = (b[6] << 8) | b[7];
    size_t i = 12;
    if (!skip_name(b, n, i))
      return false;
    i += 4;
    for (int k = 0; k < an; ++k) {
      if (!skip_name(b, n, i) || i + 10 > n)
        return false;
      auto type = (b[i] << 8) | b[i + 1];
      auto len = static_cast<size_t>((b[i + 8] << 8) | b[i + 9]);
      i += 10;
      if (i + len > n)
        return false;
      if (type == 1 && len == 4) {
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, b + i, text, sizeof text);
        out.emplace_back(text);
      }
      i += len;
    }
    return true;
  }

  int fd_;
  unsigned id_ = 0;
};

bool kill_trials(daemon_proc& d, const options& o) {
  progress("kill: 3-replica srv + client cli on the overlay, "
           + std::to_string(o.kills) + " kills");
  if (!d.run_cli({"service", "create", "-d", "--name", "srv", "--replicas", "3",
                  "--restart-delay", "0s", "--network", network_name, "host",
                  "sleep", "3600"})
      || !d.run_cli({"service", "create", "-d", "--name", "cli", "--replicas",
                     "1", "--restart-delay", "0s", "--network", network_name,
                     "host", "sleep", "3600"}))
    return false;
  if (wait_running(d.socket, "srv", 3, steady::now(), 5, 60'000) < 0
      || wait_running(d.socket, "cli", 1, steady::now(), 5, 60'000) < 0) {
    progress("kill: services not running");
    return false;
  }
  auto clients = running_tasks(d, "cli");
  if (clients.size() != 1)
    return false;
  auto client_id = clients[0].id();
  auto pin = d.data_dir + "/netns/t-" + client_id;
  auto ns = os::netns::open(pin);
  if (!ns) {
    progress("kill: no client namespace at " + pin);
    return false;
  }
  int fd = -1;
  os::run_in_netns(*ns, [&] {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(53);
    ::inet_pton(AF_INET, "127.0.0.11", &sa.sin_addr);
    if (fd >= 0
        && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      fd = -1;
    }
  });
  if (fd < 0) {
    progress("kill: no UDP socket in the client's namespace");
    return false;
  }
  dns_asker dns{fd};
  auto session = nft::session::open(ns->fd());
  if (!session) {
    progress("kill: nft session: " + session.error().message);
    return false;
  }
  auto vip_table = [&] {
    auto text = (*session)->list("list table ip actorswarm");
    return text ? *text : std::string{};
  };
  // Every running srv task in DNS and in the VIP table, nothing else in DNS.
  auto settled = [&](std::vector<pb::Task>& running) {
    running = running_tasks(d, "srv");
    if (running.size() != 3)
      return false;
    std::vector<std::string> answer;
    if (!dns.ask("tasks.srv", answer) || answer.size() != 3)
      return false;
    auto table = vip_table();
    for (auto& t : running) {
      auto a = addr_of(t);
      if (std::find(answer.begin(), answer.end(), a) == answer.end()
          || !names_addr(table, a))
        return false;
    }
    return true;
  };
  std::vector<double> dns_ms, vip_ms, both_ms, back_ms, seen_ms;
  steady::time_point last_kill{};
  for (int k = 0; k <= o.kills && !stop_requested; ++k) {
    std::vector<pb::Task> running;
    auto t_settle = steady::now();
    while (!settled(running) && !stop_requested && ms_since(t_settle) < 30'000)
      sleep_ms(1);
    if (!settled(running)) {
      progress("kill: srv did not settle (3 running, in DNS and VIP) in 30 s");
      return false;
    }
    if (k > 0)
      back_ms.push_back(ms_since(last_kill));
    if (k == o.kills)
      break;
    std::sort(running.begin(), running.end(),
              [](auto& a, auto& b) { return a.slot() < b.slot(); });
    auto& victim = running[static_cast<size_t>(k) % running.size()];
    auto addr = addr_of(victim);
    auto pid = static_cast<pid_t>(victim.status().pid());
    bool checked = false;
    for (auto& p : task_processes(d.data_dir))
      checked = checked || (p.pid == pid && p.task_id == victim.id());
    if (!checked || addr.empty()) {
      progress("kill: task " + victim.id() + " pid " + std::to_string(pid)
               + " not found as its process");
      return false;
    }
    // VIP table watched by a thread of its own, DNS here: neither waits for
    // the other.
    std::atomic<double> vip_gone{-1};
    auto wall0 = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto t0 = steady::now();
    ::kill(pid, SIGKILL);
    last_kill = t0;
    std::thread watcher([&] {
      while (!stop_requested && ms_since(t0) < 5'000)
        if (!names_addr(vip_table(), addr)) {
          vip_gone = ms_since(t0);
          return;
        }
    });
    double dns_gone = -1;
    std::vector<std::string> answer;
    while (!stop_requested && ms_since(t0) < 5'000)
      if (dns.ask("tasks.srv", answer)
          && std::find(answer.begin(), answer.end(), addr) == answer.end()) {
        dns_gone = ms_since(t0);
        break;
      }
    watcher.join();
    if (dns_gone < 0 || vip_gone < 0) {
      progress("kill: " + addr + " still listed 5 s after kill -9");
      return false;
    }
    // When the task's own actor saw the exit (the FAILED status's time):
    // the rest is the control plane's round trip and the data plane.
    double seen = -1;
    std::vector<pb::Task> all;
    if (tasks_of(d.socket, "srv", all))
      for (auto& t : all)
        if (t.id() == victim.id() && t.status().state() >= pb::COMPLETE)
          seen = static_cast<double>(t.status().timestamp_ns() - wall0) / 1e6;
    if (seen >= 0)
      seen_ms.push_back(seen);
    char line[200];
    std::snprintf(line, sizeof line,
                  "kill %d: %s (pid %d) exit seen by its task actor after "
                  "%.2f ms, out of DNS after %.2f ms, out of the VIP table "
                  "after %.2f ms",
                  k + 1, addr.c_str(), pid, seen, dns_gone, vip_gone.load());
    progress(line);
    dns_ms.push_back(dns_gone);
    vip_ms.push_back(vip_gone);
    both_ms.push_back(std::max(dns_gone, vip_gone.load()));
  }
  figure("kill_dns_gone_median_ms", median(dns_ms), "ms");
  figure("kill_dns_gone_max_ms", max_of(dns_ms), "ms");
  figure("kill_vip_gone_median_ms", median(vip_ms), "ms");
  figure("kill_vip_gone_max_ms", max_of(vip_ms), "ms");
  figure("kill_both_gone_median_ms", median(both_ms), "ms");
  figure("kill_both_gone_max_ms", max_of(both_ms), "ms");
  figure("kill_exit_seen_median_ms", median(seen_ms), "ms");
  figure("kill_exit_seen_max_ms", max_of(seen_ms), "ms");
  figure("kill_replacement_in_both_median_ms", median(back_ms), "ms");
  figure("kill_trials", static_cast<double>(dns_ms.size()), "count");
  return true;
}

// The services go also when a trial failed (the handles on the client's
// namespace are closed by then).
bool part_kill(daemon_proc& d, const options& o) {
  bool ok = kill_trials(d, o);
  return d.remove({"srv", "cli"}) >= 0 && ok;
}

// -- vip: wrk through the VIP vs straight to the task ---------------------------

// Counters of a namespace (read from a thread inside it): TCP SYN
// retransmissions and conntrack's failed inserts, drops and resolved clashes.
struct ns_counters {
  double syn_retrans = 0, insert_failed = 0, drop = 0, clash_resolved = 0;
};

ns_counters counters_in(const os::netns& ns) {
  ns_counters c;
  os::run_in_netns(ns, [&] {
    // TcpExt: a header line of names, then a line of values.
    std::istringstream net(read_all("/proc/thread-self/net/netstat"));
    std::string names, values;
    while (std::getline(net, names) && std::getline(net, values)) {
      if (names.compare(0, 7, "TcpExt:") != 0)
        continue;
      std::istringstream n(names), v(values);
      for (std::string name, value; n >> name && v >> value;)
        if (name == "TCPSynRetrans")
          c.syn_retrans = std::stod(value);
    }
    // One line per CPU, hexadecimal; the columns named in the first line.
    std::istringstream ct(read_all("/proc/thread-self/net/stat/nf_conntrack"));
    std::string header;
    std::getline(ct, header);
    std::vector<std::string> cols;
    std::istringstream h(header);
    for (std::string x; h >> x;)
      cols.push_back(x);
    for (std::string line; std::getline(ct, line);) {
      std::istringstream l(line);
      std::string x;
      for (size_t i = 0; i < cols.size() && l >> x; ++i) {
        auto v = static_cast<double>(std::stoul(x, nullptr, 16));
        if (cols[i] == "insert_failed")
          c.insert_failed += v;
        else if (cols[i] == "drop")
          c.drop += v;
        else if (cols[i] == "clashres")
          c.clash_resolved += v;
      }
    }
  });
  return c;
}

struct wrk_result {
  double rps = 0, p50 = 0, p99 = 0, max = 0, errors = 0;
};

bool run_wrk(const daemon_proc& d, const options& o, const std::string& pin,
             const std::string& addr, bool close, wrk_result& out) {
  auto file = d.dir + "/wrk.out";
  ::unlink(file.c_str());
  std::vector<std::string> args = {"/usr/bin/nsenter",
                                   "--net=" + pin,
                                   "/usr/bin/wrk",
                                   "-t2",
                                   "-c" + std::to_string(o.conns),
                                   "-d" + std::to_string(o.duration) + "s",
                                   "--timeout",
                                   "5s",
                                   "--latency",
                                   "-s",
                                   d.dir + "/report.lua"};
  if (close)
    args.insert(args.end(), {"-H", "Connection: close"});
  args.push_back("http://" + addr + "/index.html");
  run(args, file, (o.duration + 30) * 1000.0);
  auto text = read_all(file);
  auto at = text.find("RESULT ");
  if (at == std::string::npos) {
    progress("wrk failed against " + addr + ":\n" + text);
    return false;
  }
  std::map<std::string, double> v;
  std::istringstream in(text.substr(at + 7));
  std::string kv;
  while (in >> kv) {
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      v[kv.substr(0, eq)] = std::stod(kv.substr(eq + 1));
    if (kv.compare(0, 11, "err_timeout") == 0)
      break;
  }
  out.rps = (v["requests"] - v["err_status"]) / (v["duration_us"] / 1e6);
  out.p50 = v["p50_us"] / 1000;
  out.p99 = v["p99_us"] / 1000;
  out.max = v["max_us"] / 1000;
  out.errors = v["err_connect"] + v["err_read"] + v["err_write"]
               + v["err_status"] + v["err_timeout"];
  return true;
}

bool vip_runs(daemon_proc& d, const options& o) {
  progress("vip: nginx as web1 and webd (1 replica each) and web3 (3), wrk "
           "from a client "
           "task");
  auto www = d.dir + "/www";
  auto tmp = d.dir + "/nginx-tmp";
  auto pids = d.dir + "/nginx-run";
  for (auto& p : {www, tmp, pids})
    ::mkdir(p.c_str(), 0755);
  std::ofstream(www + "/index.html") << std::string(1023, 'x') << "\n";
  auto conf = d.dir + "/nginx.conf";
  std::ofstream(conf) << "daemon off;\nmaster_process on;\nuser root;\n"
                      << "worker_processes " << o.workers << ";\n"
                      << "error_log " << d.dir << "/nginx-error.log warn;\n"
                      << "events { worker_connections 4096; }\n"
                      << "http {\n  access_log off;\n  sendfile on;\n"
                      << "  tcp_nodelay on;\n"
                      << "  keepalive_requests 100000000;\n"
                      << "  keepalive_timeout 120s;\n"
                      << "  client_body_temp_path " << tmp << "/body;\n"
                      << "  proxy_temp_path " << tmp << "/proxy;\n"
                      << "  fastcgi_temp_path " << tmp << "/fastcgi;\n"
                      << "  uwsgi_temp_path " << tmp << "/uwsgi;\n"
                      << "  scgi_temp_path " << tmp << "/scgi;\n"
                      << "  types { text/html html; }\n"
                      << "  server {\n    listen 80 reuseport;\n"
                      << "    root " << www << ";\n    location / { }\n  }\n"
                      << "}\n";
  std::ofstream(d.dir + "/report.lua")
    << "function done(summary, latency, requests)\n"
       "  local e = summary.errors\n"
       "  io.write(string.format(\"RESULT requests=%d duration_us=%d "
       "p50_us=%d p99_us=%d max_us=%d err_connect=%d err_read=%d "
       "err_write=%d err_status=%d err_timeout=%d\\n\",\n"
       "    summary.requests, summary.duration, latency:percentile(50), "
       "latency:percentile(99), latency.max, e.connect, e.read, e.write, "
       "e.status, e.timeout))\nend\n";
  // Each task's own pid file (the three of web3 share the config).
  auto nginx = "exec /usr/sbin/nginx -c " + conf + " -g \"pid " + pids
               + "/$ACTORSWARM_TASK_ID.pid;\"";
  for (auto& [name, n] : std::vector<std::pair<std::string, std::string>>{
         {"web1", "1"}, {"webd", "1"}, {"web3", "3"}})
    if (!d.run_cli({"service", "create", "-d", "--name", name, "--replicas", n,
                    "--restart-delay", "0s", "--network", network_name, "host",
                    "/bin/sh", "-c", nginx}))
      return false;
  if (!d.run_cli({"service", "create", "-d", "--name", "cli", "--replicas", "1",
                  "--restart-delay", "0s", "--network", network_name, "host",
                  "sleep", "3600"}))
    return false;
  for (auto& [name, n] : std::vector<std::pair<std::string, long>>{
         {"web1", 1}, {"webd", 1}, {"web3", 3}, {"cli", 1}})
    if (wait_running(d.socket, name, n, steady::now(), 5, 60'000) < 0) {
      progress("vip: " + name + " not running");
      return false;
    }
  auto client = running_tasks(d, "cli");
  auto web1 = running_tasks(d, "web1");
  auto webd = running_tasks(d, "webd");
  auto web3 = running_tasks(d, "web3");
  if (client.size() != 1 || web1.size() != 1 || webd.size() != 1
      || web3.size() != 3)
    return false;
  auto pin = d.data_dir + "/netns/t-" + client[0].id();
  auto opened = os::netns::open(pin);
  if (!opened)
    return false;
  auto ns = std::make_unique<os::netns>(std::move(*opened));
  for (auto* set : {&client, &web1, &webd, &web3})
    for (auto& t : *set)
      conntrack_time_wait_1s(d, t.id());
  struct target {
    std::string label, addr;
  };
  std::vector<target> targets = {{"direct", addr_of(webd[0]) + ":80"},
                                 {"vip", vip_of(web1[0]) + ":80"},
                                 {"vip3", vip_of(web3[0]) + ":80"}};
  for (auto& t : targets) {
    auto ip = t.addr.substr(0, t.addr.find(':'));
    actorswarm::test::http_reply reply;
    auto t0 = steady::now();
    while (!stop_requested && ms_since(t0) < 20'000) {
      reply = actorswarm::test::http_get(*ns, ip, 80, "/index.html",
                                         std::chrono::seconds{1});
      if (reply.status == 200)
        break;
      sleep_ms(20);
    }
    if (reply.status != 200) {
      progress("vip: " + t.label + " " + t.addr
               + " does not answer: " + reply.error);
      return false;
    }
    progress("vip: " + t.label + " " + t.addr + " answers");
  }
  std::map<std::string, std::vector<wrk_result>> results;
  for (int r = 0; r < o.wrk_rounds && !stop_requested; ++r)
    for (bool close : {false, true})
      for (size_t i = 0; i < targets.size(); ++i) {
        // Every other round in reverse order: no target always goes first.
        auto& t = targets[r % 2 ? targets.size() - 1 - i : i];
        wrk_result w;
        auto c0 = counters_in(*ns);
        // CLOCK_MONOTONIC seconds (perf record -k CLOCK_MONOTONIC's clock),
        // to cut a system-wide profile into the runs.
        auto mono = [] {
          return std::chrono::duration<double>(steady::now().time_since_epoch())
            .count();
        };
        auto m0 = mono();
        if (!run_wrk(d, o, pin, t.addr, close, w))
          return false;
        auto m1 = mono();
        auto c1 = counters_in(*ns);
        auto key = t.label + (close ? "_close" : "_keepalive");
        char line[320];
        std::snprintf(line, sizeof line,
                      "round %d %s: %.0f req/s p50 %.2f ms p99 %.2f ms max "
                      "%.0f ms, %.0f errors; client: %.0f SYN retransmits, "
                      "conntrack %.0f insert failed, %.0f drops, %.0f clashes "
                      "resolved [monotonic %.3f-%.3f s]",
                      r + 1, key.c_str(), w.rps, w.p50, w.p99, w.max, w.errors,
                      c1.syn_retrans - c0.syn_retrans,
                      c1.insert_failed - c0.insert_failed, c1.drop - c0.drop,
                      c1.clash_resolved - c0.clash_resolved, m0, m1);
        progress(line);
        results[key].push_back(w);
      }
  auto med = [&](const std::string& key, double wrk_result::*field) {
    std::vector<double> v;
    for (auto& w : results[key])
      v.push_back(w.*field);
    return median(v);
  };
  for (auto mode : {"keepalive", "close"}) {
    for (auto& t : targets) {
      auto key = t.label + "_" + mode;
      figure("vip_" + key + "_rps", med(key, &wrk_result::rps), "req/s");
      figure("vip_" + key + "_p99_ms", med(key, &wrk_result::p99), "ms");
      figure("vip_" + key + "_errors", med(key, &wrk_result::errors), "count");
    }
    // The ratio of each round (same minute, same load), then their median:
    // steadier than a ratio of medians on a shared machine.
    for (auto label : {"vip", "vip3"}) {
      std::vector<double> ratios;
      auto& vs = results[std::string(label) + "_" + mode];
      auto& ds = results[std::string("direct_") + mode];
      for (size_t i = 0; i < vs.size() && i < ds.size(); ++i)
        if (ds[i].rps > 0)
          ratios.push_back(vs[i].rps / ds[i].rps);
      figure(std::string(label) + "_" + mode + "_round_ratio_median",
             median(ratios), "ratio");
      figure(std::string(label) + "_" + mode + "_round_ratio_min",
             ratios.empty() ? 0
                            : *std::min_element(ratios.begin(), ratios.end()),
             "ratio");
    }
    auto direct = med(std::string("direct_") + mode, &wrk_result::rps);
    if (direct > 0) {
      figure(std::string("vip_") + mode + "_ratio_vs_direct",
             med(std::string("vip_") + mode, &wrk_result::rps) / direct,
             "ratio");
      figure(std::string("vip3_") + mode + "_ratio_vs_direct",
             med(std::string("vip3_") + mode, &wrk_result::rps) / direct,
             "ratio");
    }
  }
  return true;
}

bool part_vip(daemon_proc& d, const options& o) {
  bool ok = vip_runs(d, o);
  return d.remove({"web1", "webd", "web3", "cli"}) >= 0 && ok;
}

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc)
      return false;
    std::string v = argv[++i];
    if (a == "--binary")
      o.binary = v;
    else if (a == "--parts")
      o.parts = v;
    else if (a == "--replicas")
      o.replicas = std::stol(v);
    else if (a == "--rounds")
      o.rounds = std::stoi(v);
    else if (a == "--kills")
      o.kills = std::stoi(v);
    else if (a == "--duration")
      o.duration = std::stoi(v);
    else if (a == "--wrk-rounds")
      o.wrk_rounds = std::stoi(v);
    else if (a == "--conns")
      o.conns = std::stoi(v);
    else if (a == "--workers")
      o.workers = std::stoi(v);
    else if (a == "--perf-out")
      o.perf_out = v;
    else
      return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: net_daemon_bench [--binary PATH] [--parts "
                 "start,kill,vip] [--replicas N] [--rounds N] [--kills N] "
                 "[--duration S] [--wrk-rounds N] [--conns N] [--workers N] "
                 "[--perf-out FILE]\n");
    return 2;
  }
  auto why = actorswarm::test::netns_unsupported();
  if (!why.empty()) {
    progress("needs root and network namespaces: " + why);
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto has = [&](const std::string& part) {
    return ("," + o.parts + ",").find("," + part + ",") != std::string::npos;
  };
  bool ok = true;
  std::unique_ptr<netns_hosts> hosts;
  try {
    hosts = std::make_unique<netns_hosts>(1);
  } catch (const std::exception& e) {
    progress(std::string("host namespace: ") + e.what());
    return 1;
  }
  daemon_proc d;
  d.hosts = hosts.get();
  d.binary = o.binary;
  progress("daemon in host namespace " + hosts->addr(0) + ", dir "
           + hosts->dir());
  if (!d.start()) {
    progress("daemon did not start:\n" + read_all(d.log));
    ok = false;
  } else if (!d.run_cli({"network", "create", "-d", "overlay", network_name})) {
    ok = false;
  }
  if (ok && has("start"))
    ok = part_start(d, o);
  if (ok && has("kill") && !stop_requested)
    ok = part_kill(d, o);
  if (ok && has("vip") && !stop_requested)
    ok = part_vip(d, o);
  if (!ok || stop_requested)
    progress("daemon log tail:\n" + [&] {
      auto log = read_all(d.log);
      return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
    }());
  if (std::getenv("ASBENCH_KEEP") != nullptr)
    run({"/bin/cp", d.log, "/tmp/net_daemon_bench.log"}, "/dev/null");
  d.stop();
  hosts->close();
  for (auto& l : hosts->leftovers())
    progress("leftover: " + l);
  return ok && !stop_requested ? 0 : 1;
}
