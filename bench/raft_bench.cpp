// Manager HA benchmark (issue #3, "Benchmarks"): starts its own manager
// daemons (temp dirs, own control sockets, free ports on 127.0.0.1; the
// first runs `swarm init`, the others `swarm join --token <manager token>`)
// and prints `name value unit` lines on stdout (progress on stderr, `# `).
// Parts (--parts, comma separated; default all):
//   writes    replicated writes: 1 and 64 clients, each with one control
//             connection, ServiceUpdate of its own --replicas 0 service with
//             a 256-byte label, for --duration s, to the leader (and with
//             --follower also to a follower: forwarded writes). Figures
//             as_n<N>_put_c<C>_{ops_per_s,p50_ms,p99_ms,max_ms,errors}.
//   failover  kill -9 of the leader, --trials times: until a survivor names
//             a new leader, until a write through a survivor succeeds
//             (as_n<N>_failover_{leader,write}_ms_{median,max,min}).
//   stop      the same with SIGSTOP (silent failure; SIGCONT afterwards):
//             as_n<N>_stopfail_*.
//   join      the cluster gets --join-tasks pending tasks (services whose
//             constraint no node meets), then one more manager joins; time
//             from `swarm join` until its `service ls` counts every task
//             (join_catchup_ms) and until its raft commit index reaches the
//             leader's (join_commit_ms). With the default snapshot interval
//             (10,000 entries) the joiner replays the log; a small
//             --snapshot-interval makes it install a snapshot first.
//   memory    in process, no daemon: a store with --mem-nodes nodes and
//             --mem-tasks tasks (bench/raft_bench_memory.hpp).
// Usage: raft_bench [--binary PATH] [--parts LIST] [--managers N]
//          [--duration S] [--clients 1,64] [--value-bytes B] [--trials N]
//          [--stop-trials N] [--join-tasks N] [--mem-nodes N] [--mem-tasks N]
//          [--mem-views N] [--tick-ms MS] [--snapshot-interval N] [--follower]
//          [--autolock]
// --autolock: `swarm init --autolock`, so every Raft log entry and snapshot
// is sealed at rest (issue #8's "with autolock on: report the cost").
// Everything it starts it stops by PID; the temp dir is removed at the end
// (RAFTBENCH_KEEP=1 keeps it).

#include "bench/raft_bench_failover.hpp"
#include "bench/raft_bench_memory.hpp"

#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace actorswarm::bench;
namespace pb = actorswarm::pb;

struct options {
  std::string binary;
  std::set<std::string> parts{"writes", "failover", "stop", "join", "memory"};
  size_t managers = 3;
  double duration_s = 10;
  std::vector<int> clients{1, 64};
  size_t value_bytes = 256;
  int trials = 10, stop_trials = 10;
  long join_tasks = 100'000;
  memory_options mem;
  int tick_ms = 0;
  long snapshot_interval = 0;
  bool follower = false;
  bool autolock = false;
};

void on_signal(int) {
  stop_requested = true;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');)
    if (!x.empty())
      out.push_back(x);
  return out;
}

std::string prefix(const options& o) {
  return "as_n" + std::to_string(o.managers) + "_";
}

void print_load(const std::string& name, const load_result& r) {
  figure(name + "_ops_per_s", r.ops_per_s, "ops/s");
  figure(name + "_p50_ms", r.p50_ms, "ms");
  figure(name + "_p99_ms", r.p99_ms, "ms");
  figure(name + "_max_ms", r.max_ms, "ms");
  figure(name + "_errors", static_cast<double>(r.errors), "count");
  if (r.errors > 0)
    progress(name + ": first error: " + r.first_error);
}

bool bench_writes(cluster& c, const options& o) {
  int l = find_leader(c, 10'000);
  if (l < 0)
    return false;
  int most = 0;
  for (int n : o.clients)
    most = std::max(most, n);
  if (!create_services(c.m[static_cast<size_t>(l)], "rbw", most))
    return false;
  std::vector<std::pair<std::string, size_t>> targets{
    {"", static_cast<size_t>(l)}};
  if (o.follower && c.m.size() > 1)
    targets.push_back({"fwd_", (static_cast<size_t>(l) + 1) % c.m.size()});
  for (auto& [tag, i] : targets)
    for (int n : o.clients) {
      progress("writes: " + std::to_string(n) + " clients to m"
               + std::to_string(i)
               + (tag.empty() ? " (leader)" : " (follower)"));
      auto r = run_load(c.m[i].socket, "rbw", n, o.duration_s, o.value_bytes);
      print_load(prefix(o) + tag + "put_c" + std::to_string(n), r);
    }
  return true;
}

/// Sum of the tasks `service ls` on `m` counts (desired <= RUNNING), or -1.
long listed_tasks(const manager& m, int timeout_ms = 2'000) {
  pb::ControlRequest req;
  req.mutable_service_list();
  pb::ControlReply rep;
  if (!call(m, req, rep, timeout_ms))
    return -1;
  long n = 0;
  for (auto& e : rep.services())
    n += static_cast<long>(e.desired());
  return n;
}

uint64_t commit_index(const manager& m) {
  pb::ControlRequest req;
  req.mutable_info();
  pb::ControlReply rep;
  return call(m, req, rep, 2'000) ? rep.info().raft_commit() : 0;
}

/// Creates services with `tasks` replicas in all, constrained to
/// node.labels.bench==none, and waits until the leader lists them.
bool fill_tasks(const cluster& c, size_t leader, long tasks) {
  auto t0 = steady::now();
  long per = 1'000, made = 0;
  for (int s = 0; made < tasks; ++s) {
    long n = std::min(per, tasks - made);
    pb::ControlRequest req;
    *req.mutable_service_create()->mutable_spec()
      = bench_spec("rbpend" + std::to_string(s), static_cast<uint64_t>(n),
                   "node.labels.bench==none");
    pb::ControlReply rep;
    if (!call(c.m[leader], req, rep, 30'000)) {
      progress("create failed: " + rep.error());
      return false;
    }
    made += n;
  }
  while (!stop_requested && ms_since(t0) < 600'000) {
    if (listed_tasks(c.m[leader], 10'000) >= tasks) {
      figure("join_setup_ms", ms_since(t0), "ms");
      return true;
    }
    sleep_ms(200);
  }
  progress("the leader did not list " + std::to_string(tasks) + " tasks");
  return false;
}

bool bench_join(cluster& c, const options& o) {
  int l = find_leader(c, 10'000);
  if (l < 0 || !fill_tasks(c, static_cast<size_t>(l), o.join_tasks))
    return false;
  sleep_ms(2'000); // let the scheduler settle (tasks stay pending)
  uint64_t target = commit_index(c.m[static_cast<size_t>(l)]);
  figure("join_tasks",
         static_cast<double>(listed_tasks(c.m[static_cast<size_t>(l)])),
         "tasks");
  figure("join_leader_rss_kb",
         static_cast<double>(status_kb(c.m[static_cast<size_t>(l)].pid,
                                       "VmRSS")),
         "kB");
  size_t j = c.m.size();
  c.m.emplace_back();
  if (!start_daemon(c, j))
    return false;
  auto t0 = steady::now();
  if (!join_swarm(c, j, c.m[static_cast<size_t>(l)].addr))
    return false;
  figure("join_reply_ms", ms_since(t0), "ms");
  double catchup = -1, commit = -1;
  while (!stop_requested && ms_since(t0) < 120'000
         && (catchup < 0 || (target > 0 && commit < 0))) {
    if (catchup < 0 && listed_tasks(c.m[j]) >= o.join_tasks)
      catchup = ms_since(t0);
    if (commit < 0 && target > 0 && commit_index(c.m[j]) >= target)
      commit = ms_since(t0);
    sleep_ms(10);
  }
  figure("join_catchup_ms", catchup, "ms");
  figure("join_joiner_rss_kb",
         static_cast<double>(status_kb(c.m[j].pid, "VmRSS")), "kB");
  figure(
    "join_snapshots_on_joiner",
    static_cast<double>(dir_entries(c.m[j].data_dir + "/snapshots").size()),
    "files");
  if (target > 0) { // Info.raft_commit filled in by the daemon
    figure("join_commit_ms", commit, "ms");
    figure("join_leader_commit_index", static_cast<double>(target), "index");
  }
  return catchup >= 0;
}

bool run_cluster_parts(cluster& c, const options& o) {
  progress("starting " + std::to_string(o.managers) + " managers");
  auto t0 = steady::now();
  if (!start_cluster(c, o.managers))
    return false;
  figure(prefix(o) + "cluster_start_ms", ms_since(t0), "ms");
  for (size_t i = 0; i < c.m.size(); ++i)
    progress("m" + std::to_string(i) + " pid " + std::to_string(c.m[i].pid)
             + " " + c.m[i].addr + " " + c.m[i].dir);
  if (o.parts.count("writes") && !bench_writes(c, o))
    return false;
  if (o.parts.count("failover") && c.m.size() > 1
      && !bench_failover(c, SIGKILL, o.trials, prefix(o) + "failover"))
    return false;
  if (o.parts.count("stop") && c.m.size() > 1
      && !bench_failover(c, SIGSTOP, o.stop_trials, prefix(o) + "stopfail"))
    return false;
  return !o.parts.count("join") || bench_join(c, o);
}

std::string default_binary() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return "actorswarm";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "actorswarm";
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--follower") {
      o.follower = true;
      continue;
    }
    if (a == "--autolock") {
      o.autolock = true;
      continue;
    }
    if (i + 1 >= argc)
      return false;
    std::string v = argv[++i];
    if (a == "--binary")
      o.binary = v;
    else if (a == "--parts") {
      auto xs = split(v);
      o.parts = {xs.begin(), xs.end()};
    } else if (a == "--managers")
      o.managers = std::stoul(v);
    else if (a == "--duration")
      o.duration_s = std::stod(v);
    else if (a == "--clients") {
      o.clients.clear();
      for (auto& x : split(v))
        o.clients.push_back(std::stoi(x));
    } else if (a == "--value-bytes")
      o.value_bytes = std::stoul(v);
    else if (a == "--trials")
      o.trials = std::stoi(v);
    else if (a == "--stop-trials")
      o.stop_trials = std::stoi(v);
    else if (a == "--join-tasks")
      o.join_tasks = std::stol(v);
    else if (a == "--mem-nodes")
      o.mem.nodes = std::stol(v);
    else if (a == "--mem-tasks")
      o.mem.tasks = std::stol(v);
    else if (a == "--mem-views")
      o.mem.views = std::stoi(v);
    else if (a == "--tick-ms")
      o.tick_ms = std::stoi(v);
    else if (a == "--snapshot-interval")
      o.snapshot_interval = std::stol(v);
    else
      return false;
  }
  return o.managers >= 1;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  o.binary = default_binary();
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: see the header of bench/raft_bench.cpp\n");
    return 2;
  }
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  bool ok = true;
  if (o.parts.count("writes") || o.parts.count("failover")
      || o.parts.count("stop") || o.parts.count("join")) {
    cluster c;
    c.binary = o.binary;
    c.tick_ms = o.tick_ms;
    c.autolock = o.autolock;
    c.snapshot_interval = o.snapshot_interval;
    ok = run_cluster_parts(c, o);
    if (!ok)
      progress("FAILED (daemon logs under " + c.root
               + ", kept with RAFTBENCH_KEEP=1)");
    stop_all(c);
  }
  if (ok && o.parts.count("memory")) {
    progress("memory: " + std::to_string(o.mem.nodes) + " nodes, "
             + std::to_string(o.mem.tasks) + " tasks, in process");
    ok = bench_memory(o.mem);
  }
  return ok ? 0 : 1;
}
