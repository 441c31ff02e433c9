#include "cli/daemon.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/node/node_actor.hpp"
#include "actors/task/process_executor.hpp"
#include "actors/task/task_actor.hpp"
#include "embed/register_types.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/control_listen.hpp"
#include "net/control_server.hpp"
#include "persistence/data_dir.hpp"

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

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

} // namespace

int run_daemon(const daemon_options& opts) {
  spdlog::set_level(spdlog::level::from_str(opts.log_level));
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
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
  auto dir = persistence::data_dir::open(opts.data_dir, true);
  if (!dir) {
    std::fprintf(stderr, "Error: %s\n", dir.error().message.c_str());
    return 1;
  }
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
  node::node_config ncfg;
  ncfg.listen_addr = opts.listen_addr;
  ncfg.tick_ms = static_cast<uint64_t>(opts.tick_ms);
  if (opts.snapshot_interval > 0)
    ncfg.snapshot_interval = opts.snapshot_interval;
  ncfg.on_fatal = [] { ::kill(::getpid(), SIGTERM); };
  auto [node, control] = node::spawn_node(sys, **dir, ncfg,
                                          node::default_clock());
  net::control_server_config scfg;
  scfg.socket_path = opts.control_path;
  scfg.tasks_dir = (*dir)->path() + "/tasks";
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
  stop_tasks((*dir)->task_records(), 10000);
  spdlog::shutdown();
  std::fflush(nullptr);
  // Every write was synced when it was acknowledged; skip destructors that
  // would race with actors still draining their mailboxes.
  std::_Exit(0);
}

} // namespace actorswarm::cli
