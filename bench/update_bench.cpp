// Rolling update speed on one `actorswarm daemon` (temp data dir, own
// control socket, free port): `service update --force` of `host sleep 3600`
// tasks with update delay 0 and monitor 0, timed from the update request to
// UpdateStatus COMPLETED with every replica running the new spec. Figures:
//   update_<N>_p<P>_ms          the whole update
//   update_<N>_p<P>_batch_ms    per batch (the whole update / batches)
// Usage: update_bench [--binary PATH]   (default: ./actorswarm)
// Everything it starts (daemon, task processes) it stops by PID; the temp dir
// goes unless ASBENCH_KEEP=1.

#include "cluster_bench_util.hpp"

using namespace actorswarm;
using namespace actorswarm::bench;

namespace {

struct bench_daemon {
  std::string binary = "./actorswarm", dir, data_dir, socket, log;
  pid_t pid = -1;
};

void on_signal(int) {
  stop_requested = true;
}

bool start(bench_daemon& d) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/asupdate.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return false;
  d.dir = tmpl;
  d.data_dir = d.dir + "/data";
  d.socket = d.dir + "/ctl.sock";
  d.log = d.dir + "/daemon.log";
  d.pid = spawn({d.binary, "daemon", "--data-dir", d.data_dir, "--control-addr",
                 "unix://" + d.socket, "--listen-addr",
                 "127.0.0.1:" + std::to_string(free_port())},
                d.log);
  if (d.pid < 0)
    return false;
  pb::ControlRequest info;
  info.mutable_info();
  auto t0 = steady::now();
  while (!stop_requested && ms_since(t0) < 10'000) {
    pb::ControlReply rep;
    if (control(d.socket, info, rep, 1'000))
      return run({d.binary, "-H", "unix://" + d.socket, "swarm", "init"},
                 d.dir + "/cli.log", 60'000)
             == 0;
    sleep_ms(20);
  }
  return false;
}

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

bool inspect(const bench_daemon& d, const std::string& name, pb::Service& out) {
  pb::ControlRequest req;
  req.mutable_service_inspect()->add_refs(name);
  pb::ControlReply rep;
  if (!control(d.socket, req, rep) || rep.services_size() != 1)
    return false;
  out = rep.services(0).service();
  return true;
}

// Creates `name` with `replicas` and waits until they all run.
bool create(const bench_daemon& d, const std::string& name, long replicas,
            uint64_t parallelism) {
  pb::ControlRequest req;
  auto& s = *req.mutable_service_create()->mutable_spec();
  s.set_name(name);
  s.set_replicas(static_cast<uint64_t>(replicas));
  auto& c = *s.mutable_task()->mutable_container();
  c.set_image("host");
  c.add_command("sleep");
  c.add_command("3600");
  auto& u = *s.mutable_update();
  u.set_parallelism(parallelism);
  u.set_monitor_ns(0);
  u.set_delay_ns(0);
  pb::ControlReply rep;
  if (!control(d.socket, req, rep))
    return false;
  return wait_running(d.socket, name, replicas, steady::now(), 10, 120'000)
         >= 0;
}

// `service update --force` of `name`; ms until COMPLETED with `replicas`
// running, or -1.
double force_update(const bench_daemon& d, const std::string& name,
                    long replicas) {
  pb::Service svc;
  if (!inspect(d, name, svc))
    return -1;
  pb::ControlRequest req;
  auto& u = *req.mutable_service_update();
  u.set_ref(svc.id());
  u.set_version(svc.meta().version());
  *u.mutable_spec() = svc.spec();
  auto& t = *u.mutable_spec()->mutable_task();
  t.set_force_update(t.force_update() + 1);
  pb::ControlReply rep;
  auto t0 = steady::now();
  if (!control(d.socket, req, rep))
    return -1;
  while (!stop_requested && ms_since(t0) < 300'000) {
    if (inspect(d, name, svc)
        && svc.update_status().state() == pb::UpdateStatus::COMPLETED
        && running_of(d.socket, name) == replicas)
      return ms_since(t0);
    sleep_ms(2);
  }
  return -1;
}

bool one(const bench_daemon& d, long replicas, uint64_t parallelism) {
  auto name = "u" + std::to_string(replicas) + "p"
              + std::to_string(parallelism);
  if (!create(d, name, replicas, parallelism))
    return false;
  auto ms = force_update(d, name, replicas);
  if (ms < 0)
    return false;
  auto key = "update_" + std::to_string(replicas) + "_p"
             + std::to_string(parallelism);
  auto batches = (replicas + static_cast<long>(parallelism) - 1)
                 / static_cast<long>(parallelism);
  figure(key + "_ms", ms, "ms");
  figure(key + "_batch_ms", ms / static_cast<double>(batches), "ms");
  pb::ControlRequest rm;
  rm.mutable_service_remove()->add_refs(name);
  pb::ControlReply rep;
  control(d.socket, rm, rep);
  return true;
}

} // namespace

int main(int argc, char** argv) {
  bench_daemon d;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string{argv[i]} == "--binary")
      d.binary = argv[i + 1];
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  bool ok = start(d) && one(d, 100, 10) && one(d, 20, 1);
  if (!ok)
    progress("FAILED (daemon log: " + d.log + ", kept with ASBENCH_KEEP=1)");
  stop(d);
  return ok ? 0 : 1;
}
