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

#include "bench/net_daemon_bench_kill.hpp"
#include "bench/net_daemon_bench_util.hpp"
#include "bench/net_daemon_bench_vip.hpp"

namespace {

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
