#include "cli/daemon.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "actors/logs/log_broker_actor.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/node_actor.hpp"
#include "actors/raft/startup_reconcile.hpp"
#include "actors/task/process_executor.hpp"
#include "actors/task/task_actor.hpp"
#include "cli/daemon/unlock_gate.hpp"
#include "embed/register_types.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/control_listen.hpp"
#include "net/control_server.hpp"
#include "persistence/data_dir.hpp"
#include "persistence/startup_error.hpp"

namespace actorswarm::cli {

namespace {

// Stops every task process this node recorded: SIGTERM to each group, then
// SIGKILL to what is still alive after `grace_ms`.
void stop_tasks(persistence::task_record_store& records, int grace_ms) {
  std::vector<task::process_record> alive;
  for (auto& [id, value] : records.load_all())
    if (auto r = task::decode_record(value);
        r && task::alive_with_start_time(r->pid, r->start_time_ticks)) {
      task::signal_group(r->pgid, SIGTERM);
      alive.push_back(*r);
    }
  for (int waited = 0; waited < grace_ms && !alive.empty(); waited += 20) {
    ::poll(nullptr, 0, 20);
    alive.erase(std::remove_if(alive.begin(), alive.end(),
                               [](auto& r) {
                                 return !task::alive_with_start_time(
                                   r.pid, r.start_time_ticks);
                               }),
                alive.end());
  }
  for (auto& r : alive)
    task::signal_group(r.pgid, SIGKILL);
}

// The signal the unlock gate raises once `swarm unlock` opened the dir.
constexpr int unlocked_signal = SIGUSR1;

int wait_for_signal(bool unlocked_too = false) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (unlocked_too)
    sigaddset(&set, unlocked_signal);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// A locked data dir (autolock): serves the unlock gate on the control
// socket until `swarm unlock` opens the dir (returned) or a stop signal
// comes (none returned). Nothing of the swarm starts before. The gate's
// server is stopped but kept in `gate_server`: its connection threads are
// detached and may still finish a reply, so it must outlive them (the
// daemon ends with _Exit).
std::shared_ptr<persistence::data_dir>
wait_for_unlock(caf::actor_system& sys, const daemon_options& opts, gid_t group,
                std::unique_ptr<net::control_server>& gate_server) {
  auto slot = std::make_shared<unlock_slot>([] {
    ::kill(::getpid(), unlocked_signal);
  });
  auto gate = spawn_unlock_gate(sys, opts.data_dir, slot);
  net::control_server_config scfg;
  scfg.socket_path = opts.control_path;
  scfg.group = group;
  gate_server = std::make_unique<net::control_server>(sys, gate, scfg);
  if (auto ok = gate_server->start(); !ok) {
    std::fprintf(stderr, "Error: %s\n", ok.error().message.c_str());
    std::fflush(stderr);
    std::_Exit(1);
  }
  logger("daemon")->warn("data dir {} is locked (autolock): waiting for "
                         "`actorswarm swarm unlock` on unix://{}",
                         opts.data_dir, opts.control_path);
  auto sig = wait_for_signal(true);
  gate_server->stop();
  caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
  if (sig != unlocked_signal) {
    logger("daemon")->info("signal {}: stopping (still locked)", sig);
    return nullptr;
  }
  return slot->dir();
}

// Before any component starts: the Raft log made consistent with the newest
// snapshot, or (a data dir that lost its snapshots, say) one line naming the
// dir and exit code data_dir_corrupt_exit, the dir unchanged.
void refuse_corrupt_dir(persistence::data_dir& dir) {
  auto ok = raft::reconcile_at_startup(dir.log(), dir.snapshots());
  if (ok)
    return;
  bool corrupt = ok.error().code == errc::data_corrupt;
  std::fprintf(stderr, "Error: data dir %s %s: %s\n", dir.path().c_str(),
               corrupt ? "is corrupt" : "cannot be used",
               ok.error().message.c_str());
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(persistence::startup_exit_code(ok.error().code));
}

} // namespace

int run_daemon(const daemon_options& opts) {
  spdlog::set_level(spdlog::level::from_str(opts.log_level));
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, unlocked_signal);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // The socket's group and path first: a wrong --group, a file that is not
  // a socket or another daemon's socket changes nothing.
  auto group = net::resolve_socket_group(opts.group);
  if (!group) {
    std::fprintf(stderr, "Error: %s\n", group.error().message.c_str());
    return 1;
  }
  if (auto ok = net::check_control_path(opts.control_path); !ok) {
    std::fprintf(stderr, "Error: %s\n", ok.error().message.c_str());
    return 1;
  }
  std::shared_ptr<persistence::data_dir> dir;
  auto opened = persistence::data_dir::open(opts.data_dir, true);
  bool locked = !opened
                && persistence::data_dir::is_locked_failure(opened.error());
  if (!opened && !locked) {
    // One line; a corrupt or full data dir has its own exit code.
    std::fprintf(stderr, "Error: %s\n", opened.error().message.c_str());
    return persistence::startup_exit_code(opened.error().code);
  }
  if (opened)
    dir = std::move(*opened);
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.set("scheduler.max-threads", 2);
  // The sharing scheduler waits on a condition variable; work stealing polls
  // with short sleeps, which cost ~100 ms of CPU per second on an idle daemon
  // with 300 tasks (bench/idle_cpu.sh: 102 -> 6-8 ms/s; cluster_bench
  // create/scale/restart stay within their targets).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  std::unique_ptr<net::control_server> gate_server;
  if (locked) {
    dir = wait_for_unlock(sys, opts, *group, gate_server);
    if (!dir) {
      spdlog::shutdown();
      std::fflush(nullptr);
      std::_Exit(0);
    }
  }
  refuse_corrupt_dir(*dir);
  node::node_config ncfg;
  ncfg.listen_addr = opts.listen_addr;
  ncfg.gateway_subnet = opts.gateway_subnet;
  ncfg.dns_upstreams = opts.dns_upstreams;
  ncfg.tick_ms = static_cast<uint64_t>(opts.tick_ms);
  ncfg.wire.handshake_timeout_ms = opts.handshake_timeout_ms;
  ncfg.wire.max_unauthenticated = static_cast<size_t>(opts.max_unauthenticated);
  if (opts.snapshot_interval > 0)
    ncfg.snapshot_interval = opts.snapshot_interval;
  ncfg.on_fatal = [] { ::kill(::getpid(), SIGTERM); };
  // `service logs` across nodes: serves this node's task logs and, on a
  // manager, fans the CLI's reads out to the tasks' nodes.
  logs::log_broker_config lcfg;
  lcfg.tasks_dir = dir->path() + "/tasks";
  ncfg.logs_broker = logs::spawn_log_broker(sys, lcfg, node::default_clock());
  auto [node, control] = node::spawn_node(sys, *dir, ncfg,
                                          node::default_clock());
  net::control_server_config scfg;
  scfg.socket_path = opts.control_path;
  scfg.logs_broker = ncfg.logs_broker;
  scfg.group = *group;
  net::control_server server{sys, control, scfg};
  if (auto ok = server.start(); !ok) {
    std::fprintf(stderr, "Error: %s\n", ok.error().message.c_str());
    std::fflush(stderr);
    std::_Exit(1);
  }
  logger("daemon")->info("actorswarm daemon serving unix://{} data_dir={}",
                         opts.control_path, opts.data_dir);
  auto sig = wait_for_signal();
  logger("daemon")->info("signal {}: stopping", sig);
  server.stop();
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  stop_tasks(dir->task_records(), 10000);
  spdlog::shutdown();
  std::fflush(nullptr);
  // Every write was synced when it was acknowledged; skip destructors that
  // would race with actors still draining their mailboxes.
  std::_Exit(0);
}

} // namespace actorswarm::cli
