// One-host cluster benchmark (issue #2, "Benchmarks"): starts its own
// `actorswarm daemon` (temp data dir, own control socket, free port on
// 127.0.0.1), drives it with the real CLI binary and the control protocol,
// and prints `name value unit` lines on stdout (progress on stderr as `# `):
//   daemon_idle_rss_kb         daemon VmRSS after `swarm init`, no tasks
//   restart_after_kill_ms      SIGKILL a task process (found in /proc by its
//                              ACTORSWARM_TASK_ID), until a new task of that
//                              slot is RUNNING; restart delay 0; median of 10
//   create_100_converge_ms     `service create -d --replicas 100 host sleep
//                              3600` issued until `service ls` says 100
//                              running (polled every 5 ms)
//   scale_100_to_1000_ms       `service scale -d web=1000` likewise
//   daemon_rss_1000_tasks_kb, daemon_rss_per_task_kb
//   service_ls_p50_ms/p99_ms   wall time of 200 runs of `actorswarm service
//                              ls` (fork/exec) with the 1000 tasks running;
//                              service_ls_rpc_* the same request sent from
//                              this process (no CLI start-up)
//   rm_1000_ms                 `service rm web` until no task process is left
// Docker Swarm 20.10 reference figures: docs/benchmarks.md.
//
// Usage: cluster_bench [--binary PATH] [--tasks N] [--restart-trials N]
//   --binary  the actorswarm binary (default: next to this executable)
//   --tasks   replicas after the scale step (default 1000)
// Everything it starts (daemon, task processes) it stops by PID; the temp dir
// ($TMPDIR or /tmp, asbench.XXXXXX) is removed at the end.

#include "bench/cluster_bench_util.hpp"

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace actorswarm::bench;
namespace pb = actorswarm::pb;

struct options {
  std::string binary;
  long tasks = 1000;
  int restart_trials = 10;
};

struct bench_daemon {
  std::string binary, dir, data_dir, socket, log, cli_log;
  int port = 0;
  pid_t pid = -1;

  std::vector<std::string> cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {binary, "-H", "unix://" + socket});
    return args;
  }

  int run_cli(const std::vector<std::string>& args) const {
    return run(cli(args), cli_log, 120'000);
  }
};

void on_signal(int) {
  stop_requested = true;
}

bool start(bench_daemon& d) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/asbench.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return false;
  d.dir = tmpl;
  d.data_dir = d.dir + "/data";
  d.socket = d.dir + "/ctl.sock";
  d.log = d.dir + "/daemon.log";
  d.cli_log = d.dir + "/cli.log";
  d.port = free_port();
  d.pid = spawn({d.binary, "daemon", "--data-dir", d.data_dir, "--control-addr",
                 "unix://" + d.socket, "--listen-addr",
                 "127.0.0.1:" + std::to_string(d.port)},
                d.log);
  if (d.pid < 0)
    return false;
  pb::ControlRequest req;
  req.mutable_info();
  auto t0 = steady::now();
  while (!stop_requested && ms_since(t0) < 10'000) {
    pb::ControlReply rep;
    if (control(d.socket, req, rep, 1'000))
      return d.run_cli({"swarm", "init"}) == 0;
    sleep_ms(20);
  }
  return false;
}

/// Stops the daemon (SIGTERM, SIGKILL after 15 s), then SIGKILLs every task
/// process of this data dir still alive, and removes the temp dir.
void stop(bench_daemon& d) {
  if (d.pid > 0) {
    ::kill(d.pid, SIGTERM);
    if (wait_child(d.pid, 15'000) == -1)
      progress("daemon did not stop on SIGTERM; killed");
    d.pid = -1;
  }
  for (int round = 0; round < 5 && !d.data_dir.empty(); ++round) {
    auto left = task_processes(d.data_dir);
    if (left.empty())
      break;
    for (auto& t : left)
      ::kill(t.pid, SIGKILL);
    sleep_ms(50);
  }
  if (!d.dir.empty() && std::getenv("ASBENCH_KEEP") == nullptr)
    run({"/bin/rm", "-rf", d.dir}, "/dev/null");
  else if (!d.dir.empty())
    progress("kept " + d.dir);
}

/// Live process of the RUNNING task of `slot` in `tasks`, found in /proc.
bool find_slot_process(const bench_daemon& d,
                       const std::vector<pb::Task>& tasks, uint64_t slot,
                       task_proc& out) {
  std::string id;
  for (auto& t : tasks)
    if (t.slot() == slot && t.status().state() == pb::RUNNING)
      id = t.id();
  for (auto& p : task_processes(d.data_dir))
    if (p.task_id == id) {
      out = p;
      return true;
    }
  return false;
}

/// Time from SIGKILL of slot 1's process until a newer task of slot 1 is
/// RUNNING, polled every 1 ms; -1 on failure.
double one_restart(const bench_daemon& d) {
  std::vector<pb::Task> tasks;
  task_proc victim;
  auto t_find = steady::now();
  while (!stop_requested && ms_since(t_find) < 10'000
         && !(tasks_of(d.socket, "rs", tasks)
              && find_slot_process(d, tasks, 1, victim)))
    sleep_ms(5);
  if (victim.pid == 0)
    return -1;
  auto t0 = steady::now();
  ::kill(victim.pid, SIGKILL);
  while (!stop_requested && ms_since(t0) < 10'000) {
    if (tasks_of(d.socket, "rs", tasks))
      for (auto& t : tasks)
        if (t.slot() == 1 && t.id() != victim.task_id
            && t.status().state() == pb::RUNNING)
          return ms_since(t0);
    sleep_ms(1);
  }
  return -1;
}

bool bench_restart(const bench_daemon& d, int trials) {
  if (d.run_cli({"service", "create", "-d", "--name", "rs", "--restart-delay",
                 "0", "host", "sleep", "3600"})
        != 0
      || wait_running(d.socket, "rs", 1, steady::now(), 5, 10'000) < 0)
    return false;
  std::vector<double> ms;
  for (int i = 0; i < trials; ++i) {
    double t = one_restart(d);
    if (t < 0)
      return false;
    ms.push_back(t);
    sleep_ms(100);
  }
  figure("restart_after_kill_ms", percentile(ms, 50), "ms");
  figure("restart_after_kill_max_ms", percentile(ms, 100), "ms");
  if (d.run_cli({"service", "rm", "rs"}) != 0)
    return false;
  auto t0 = steady::now();
  while (!task_processes(d.data_dir).empty() && ms_since(t0) < 10'000)
    sleep_ms(20);
  return true;
}

bool bench_create_scale(const bench_daemon& d, long tasks) {
  auto t0 = steady::now();
  if (d.run_cli({"service", "create", "-d", "--name", "web", "--replicas",
                 "100", "host", "sleep", "3600"})
      != 0)
    return false;
  double ms = wait_running(d.socket, "web", 100, t0, 5, 60'000);
  if (ms < 0)
    return false;
  figure("create_100_converge_ms", ms, "ms");
  sleep_ms(1'000);
  t0 = steady::now();
  if (d.run_cli({"service", "scale", "-d", "web=" + std::to_string(tasks)})
      != 0)
    return false;
  ms = wait_running(d.socket, "web", tasks, t0, 5, 300'000);
  if (ms < 0)
    return false;
  figure("scale_100_to_" + std::to_string(tasks) + "_ms", ms, "ms");
  return true;
}

void bench_memory(const bench_daemon& d, long tasks, long idle_kb) {
  sleep_ms(2'000);
  long rss = status_kb(d.pid, "VmRSS");
  figure("daemon_rss_" + std::to_string(tasks) + "_tasks_kb",
         static_cast<double>(rss), "kB");
  figure("daemon_rss_per_task_kb",
         static_cast<double>(rss - idle_kb) / static_cast<double>(tasks), "kB");
  figure("daemon_hwm_kb", static_cast<double>(status_kb(d.pid, "VmHWM")), "kB");
  figure("task_processes",
         static_cast<double>(task_processes(d.data_dir).size()), "processes");
}

void bench_service_ls(const bench_daemon& d, int runs) {
  std::vector<double> cli_ms, rpc_ms;
  auto argv = d.cli({"service", "ls"});
  for (int i = 0; i < runs && !stop_requested; ++i) {
    auto t0 = steady::now();
    if (run(argv, "/dev/null") == 0)
      cli_ms.push_back(ms_since(t0));
  }
  pb::ControlRequest req;
  req.mutable_service_list();
  for (int i = 0; i < runs && !stop_requested; ++i) {
    pb::ControlReply rep;
    auto t0 = steady::now();
    if (control(d.socket, req, rep))
      rpc_ms.push_back(ms_since(t0));
  }
  figure("service_ls_p50_ms", percentile(cli_ms, 50), "ms");
  figure("service_ls_p99_ms", percentile(cli_ms, 99), "ms");
  figure("service_ls_ok_runs", static_cast<double>(cli_ms.size()), "runs");
  figure("service_ls_rpc_p50_ms", percentile(rpc_ms, 50), "ms");
  figure("service_ls_rpc_p99_ms", percentile(rpc_ms, 99), "ms");
}

bool bench_rm(const bench_daemon& d, long tasks) {
  auto t0 = steady::now();
  if (d.run_cli({"service", "rm", "web"}) != 0)
    return false;
  while (!stop_requested && ms_since(t0) < 120'000) {
    if (task_processes(d.data_dir).empty()) {
      figure("rm_" + std::to_string(tasks) + "_ms", ms_since(t0), "ms");
      return true;
    }
    sleep_ms(20);
  }
  return false;
}

bool run_all(bench_daemon& d, const options& o) {
  progress("daemon pid " + std::to_string(d.pid) + ", dir " + d.dir);
  sleep_ms(1'000);
  long idle_kb = status_kb(d.pid, "VmRSS");
  figure("daemon_idle_rss_kb", static_cast<double>(idle_kb), "kB");
  progress("restart after kill");
  if (!bench_restart(d, o.restart_trials))
    return false;
  progress("create 100, scale to " + std::to_string(o.tasks));
  if (!bench_create_scale(d, o.tasks))
    return false;
  bench_memory(d, o.tasks, idle_kb);
  progress("service ls x200");
  bench_service_ls(d, 200);
  progress("service rm");
  return bench_rm(d, o.tasks);
}

std::string default_binary() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return "actorswarm";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "actorswarm";
}

} // namespace

int main(int argc, char** argv) {
  options o;
  o.binary = default_binary();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--binary")
      o.binary = argv[i + 1];
    else if (a == "--tasks")
      o.tasks = std::atol(argv[i + 1]);
    else if (a == "--restart-trials")
      o.restart_trials = std::atoi(argv[i + 1]);
  }
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  bench_daemon d;
  d.binary = o.binary;
  bool ok = start(d) && run_all(d, o);
  if (!ok)
    progress("FAILED (daemon log: " + d.log + ", kept with ASBENCH_KEEP=1)");
  stop(d);
  return ok ? 0 : 1;
}
