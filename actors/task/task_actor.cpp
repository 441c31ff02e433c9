#include "actors/task/task_actor.hpp"

#include <sstream>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/task/executor.hpp"
#include "actors/task/health.hpp"
#include "actors/task/task_interface.hpp"
#include "actors/task/task_state_machine.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::task {

namespace {

/// Upper bound of machine steps in one turn: a task passes 14 states at most.
constexpr int steps_per_turn_max = 16;

const char* const lost_text
  = "task process lost: it was never recorded as started";

struct task_state {
  owner_actor_type agent;
  std::shared_ptr<executor> exec; // shared: outlives the agent if need be
  node::clock* clk = nullptr;
  /// The latest assignment: spec, desired state, the store's status.
  pb::Task task;
  /// The status as the task state machine moved it, from the store's at
  /// spawn. The agent's own view: a later state the manager sets (ORPHANED)
  /// only silences reports (send_status), the process is still stopped.
  pb::TaskStatus status;
  /// A status the machine entered on its own (a pause step), not reported
  /// yet: see enter().
  std::optional<pb::TaskStatus> unreported;
  std::optional<process_record> proc;
  std::optional<started_process> gated;
  /// The start action is under way: spawned, its record being written.
  bool start_pending = false;
  /// The desired state the start action was chosen for.
  pb::TaskState start_desired = pb::RUNNING;
  /// prepare() ran in this actor's life (a restarted daemon prepares again).
  bool prepared = false;
  /// The node's network actor (null: no networks on this node).
  network::network_actor_type net;
  /// The task's network namespace, once the network actor prepared it.
  std::optional<std::string> netns_path;
  /// A prepare request to the network actor is under way.
  bool net_pending = false;
  bool stopping = false;
  bool leaving = false;
  /// The health check's verdict while the process runs (health.hpp).
  std::optional<health_monitor> health;
  /// The number of the next or running probe: a probe_* message about
  /// another number is stale and dropped.
  uint64_t probe_seq = 0;
  /// The running probe, and when it started.
  std::optional<process_handle> probe;
  int64_t probe_start_ns = 0;
  /// The task is being stopped because it turned unhealthy.
  bool unhealthy = false;
  static inline const char* name = "task";
};

using task_ptr = task_actor_type::stateful_pointer<task_state>;

observation error_of(std::string err) {
  observation obs;
  obs.what = observation::kind::error;
  obs.err = std::move(err);
  return obs;
}

// The desired state the machine follows: a task no longer assigned here is
// stopped, whatever the manager wants.
pb::TaskState desired_state(const task_state& st) {
  auto x = st.task.desired_state();
  return st.leaving && x < pb::SHUTDOWN ? pb::SHUTDOWN : x;
}

// Reports `s` unless the store is already past it.
void send_status(task_ptr self, const pb::TaskStatus& s) {
  auto& st = self->state;
  if (can_transition(st.task.status().state(), s.state()))
    self->send(st.agent, task_status_atom::value, st.task.id(), s);
}

// Reports the status the machine entered on its own, if not reported yet:
// the executor call made in it succeeded, or the turn ends in it.
void announce(task_ptr self) {
  if (auto s = std::exchange(self->state.unreported, std::nullopt))
    send_status(self, *s);
}

process_handle handle_of(const process_record& x) {
  return {x.pid, x.start_time_ticks, x.pgid};
}

// The process runs: its health check (if any) starts, one interval from
// now; the status says STARTING until the first probe passes. Does nothing
// when it runs already, or the task has no check or no process.
void start_health(task_ptr self) {
  auto& st = self->state;
  if (st.health || st.stopping || !st.proc || st.status.state() != pb::RUNNING)
    return;
  auto plan = health_plan_of(st.task.spec().container());
  if (!plan)
    return;
  auto interval = plan->interval_ns;
  st.health.emplace(std::move(*plan), st.clk->now_ns(), st.status.health());
  st.status.set_health(st.health->status());
  self->delayed_send(self, std::chrono::nanoseconds(interval),
                     probe_due_atom::value, st.probe_seq);
}

// Reports a change of health while RUNNING (the state stays, so
// send_status would drop it): flows to the agent like a state change.
void send_health(task_ptr self) {
  auto& st = self->state;
  if (st.status.state() == pb::RUNNING
      && st.task.status().state() <= pb::RUNNING)
    self->send(st.agent, task_status_atom::value, st.task.id(), st.status);
}

// Stops the health probes: a running one is killed, later messages about
// it are stale.
void stop_probes(task_ptr self) {
  auto& st = self->state;
  ++st.probe_seq;
  if (auto p = std::exchange(st.probe, std::nullopt))
    st.exec->terminate(*p);
}

void begin_stop(task_ptr self);

// One probe's outcome: the verdict moves (reported when it changed); an
// UNHEALTHY task is stopped and fails once its process ended (on_exit),
// else the next probe is due one interval from now.
void on_probe(task_ptr self, bool ok) {
  auto& st = self->state;
  st.probe.reset();
  ++st.probe_seq;
  if (!st.health || st.stopping)
    return;
  if (st.health->on_probe(ok, st.probe_start_ns)) {
    st.status.set_health(st.health->status());
    send_health(self);
  }
  if (st.health->status() == pb::TaskStatus::UNHEALTHY) {
    logger("task")->info("task {} unhealthy after {} failed health checks",
                         st.task.id(), st.health->failing_streak());
    st.unhealthy = true;
    begin_stop(self);
    return;
  }
  self->delayed_send(self,
                     std::chrono::nanoseconds(st.health->plan().interval_ns),
                     probe_due_atom::value, st.probe_seq);
}

// Runs probe `seq` beside the process, with its timeout as a message.
void run_probe(task_ptr self, uint64_t seq) {
  auto& st = self->state;
  if (seq != st.probe_seq || !st.health || st.stopping || !st.proc || st.probe)
    return;
  auto me = caf::actor_cast<task_actor_type>(self);
  st.probe_start_ns = st.clk->now_ns();
  auto p = st.exec->probe(st.task, handle_of(*st.proc), st.health->plan().argv,
                          [me, seq](process_exit x) {
                            caf::anon_send(me, probe_end_atom::value, seq, x);
                          });
  if (!p) {
    logger("task")->warn("task {} health check: {}", st.task.id(),
                         p.error().message);
    on_probe(self, false);
    return;
  }
  st.probe = *p;
  self->delayed_send(self,
                     std::chrono::nanoseconds(st.health->plan().timeout_ns),
                     probe_kill_atom::value, seq);
}

// Moves to `r`'s status. `on_its_own`: a pause step, reported only once the
// executor call made in the new state succeeds or the turn ends in it; a
// state left by the next step of the same turn (ACCEPTED on the way to
// PREPARING), or whose call failed, is never reported: the next one says
// all. Any other step follows an executor call or a process event and is
// reported at once. Returns whether the status changed.
bool enter(task_ptr self, step_result r, bool on_its_own) {
  auto& st = self->state;
  if (!r.changed)
    return false;
  st.status = std::move(r.status);
  st.unreported.reset();
  start_health(self);
  if (on_its_own)
    st.unreported = st.status;
  else
    send_status(self, st.status);
  return true;
}

// One step of the machine with what the executor reported.
bool apply(task_ptr self, const observation& obs, bool on_its_own) {
  auto& st = self->state;
  return enter(self, step(desired_state(st), st.status, obs, st.clk->now_ns()),
               on_its_own);
}

void watch(task_ptr self, bool is_child) {
  auto& st = self->state;
  auto me = caf::actor_cast<task_actor_type>(self);
  auto h = handle_of(*st.proc);
  auto cb = [me](process_exit x) { caf::anon_send(me, exited_atom::value, x); };
  if (!is_child) // adopted after a restart: its output waited in its pipe
    st.exec->resume_output(st.task.id(), h);
  bool ok = is_child ? st.exec->wait(h, true, cb) : st.exec->adopt(h, cb);
  if (!ok)
    caf::anon_send(me, exited_atom::value, process_exit::unknown());
}

// True when the task's process runs in a namespace of its own.
bool on_networks(const task_state& st) {
  return st.net && !st.task.networks().empty();
}

// The process exited (or never started): the network actor removes the
// task's namespace. Unknown to it (never prepared) is fine.
void release_net(task_ptr self) {
  auto& st = self->state;
  if (!on_networks(st))
    return;
  st.netns_path.reset();
  self->send(st.net, net_release_atom::value, st.task.id());
}

void advance(task_ptr self);

// Asks the network actor for the task's namespace; the start goes on
// (advance) once it is ready, or fails with the network's error.
void prepare_net(task_ptr self) {
  auto& st = self->state;
  st.net_pending = true;
  st.start_pending = true;
  self->request(st.net, caf::infinite, net_prepare_atom::value, st.task)
    .then(
      [=](std::string& path) {
        auto& st = self->state;
        st.net_pending = false;
        st.start_pending = false;
        st.netns_path = std::move(path);
        advance(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        st.net_pending = false;
        st.start_pending = false;
        apply(self, error_of(to_failure(err).message), false);
        advance(self);
      });
}

// executor::prepare as an observation.
observation prepare(task_ptr self) {
  auto& st = self->state;
  auto w = st.exec->prepare(st.task);
  if (!w)
    return error_of(w.error().message);
  if (!w->empty())
    logger("task")->warn("{}", *w);
  st.prepared = true;
  return {};
}

// The record is durable: the gate opens, the process runs.
void on_recorded(task_ptr self) {
  auto& st = self->state;
  st.start_pending = false;
  st.exec->release(*st.gated);
  watch(self, true);
  observation obs;
  obs.pid = st.proc->pid;
  obs.started_at_ns = st.clk->now_ns();
  // The outcome answers the start as it was chosen; a stop asked for
  // meanwhile is the next step (the process runs by now).
  enter(self, step(st.start_desired, st.status, obs, obs.started_at_ns), false);
  advance(self);
}

// The start action: spawn behind the start gate, record, then release
// (on_recorded). A restarted daemon's actor prepares first.
void start(task_ptr self) {
  auto& st = self->state;
  if (!st.prepared) {
    if (auto obs = prepare(self); obs.what == observation::kind::error) {
      apply(self, obs, false);
      return;
    }
  }
  if (on_networks(st) && !st.netns_path) {
    prepare_net(self);
    return;
  }
  start_options opts;
  if (st.netns_path) {
    opts.netns_path = *st.netns_path;
    // docker: --hostname, else the container id's first 12 characters.
    auto& h = st.task.spec().container().hostname();
    opts.hostname = h.empty() ? st.task.id().substr(0, 12) : h;
    // The embedded DNS, whose sockets the network actor opened in the
    // namespace (docker's resolv.conf for a task).
    opts.resolv_conf = "nameserver 127.0.0.11\noptions ndots:0\n";
  }
  auto p = st.exec->start(st.task, opts);
  if (!p) {
    release_net(self);
    apply(self, error_of(p.error().message), false);
    return;
  }
  announce(self);
  st.proc = process_record{p->handle.pid, p->handle.start_time_ticks,
                           p->handle.pgid};
  st.gated.emplace(std::move(*p));
  st.start_pending = true;
  st.start_desired = desired_state(st);
  // The start gate: exec only after the agent recorded the process durably.
  self
    ->request(st.agent, caf::infinite, task_record_atom::value, st.task.id(),
              encode_record(*st.proc))
    .then([=](bool) { on_recorded(self); });
}

// SIGTERM now, SIGKILL when the stop grace period runs out.
void begin_stop(task_ptr self) {
  auto& st = self->state;
  if (st.stopping || !st.proc)
    return;
  st.stopping = true;
  stop_probes(self);
  st.exec->shutdown(handle_of(*st.proc));
  auto grace_ns = st.task.spec().container().stop_grace_period_ns();
  self->delayed_send(self, std::chrono::nanoseconds(grace_ns),
                     task_kill_atom::value);
}

// SwarmKit's Do() loop: makes the executor call the task state machine asks
// for and steps, until the machine waits for the record of a start, the
// process's exit or a later desired state.
void advance(task_ptr self) {
  auto& st = self->state;
  if (st.start_pending) {
    // The machine goes on when the record is written; a process it would
    // stop once running (its gate is still closed) is stopped at once.
    if (next_action(desired_state(st), pb::RUNNING) == action::shutdown)
      begin_stop(self);
    return;
  }
  for (int i = 0; i < steps_per_turn_max && !st.start_pending; ++i) {
    auto act = next_action(desired_state(st), st.status.state());
    if (act == action::wait)
      break; // the process watcher reports the exit
    if (act == action::shutdown) {
      begin_stop(self); // the exit completes it
      break;
    }
    if (act == action::start) {
      start(self);
      continue;
    }
    auto obs = act == action::prepare ? prepare(self) : observation{};
    if (act == action::prepare && obs.what == observation::kind::done)
      announce(self);
    if (!apply(self, obs, act == action::none))
      break;
  }
  if (!st.start_pending)
    announce(self);
}

void on_exit(task_ptr self, const process_exit& x) {
  auto& st = self->state;
  // A probe still running leaves the task's cgroup before it goes.
  stop_probes(self);
  st.exec->remove(st.task.id(), false);
  // Forget the record (an empty value removes it); nothing waits on it.
  self
    ->request(st.agent, caf::infinite, task_record_atom::value, st.task.id(),
              std::string{})
    .then([](bool) {});
  st.proc.reset();
  observation obs;
  obs.what = observation::kind::exited;
  obs.exit = x;
  // An exec that failed after the release explains the exit.
  std::string reason;
  if (st.gated && st.exec->exec_result(*st.gated, reason) == exec_state::failed)
    obs.err = reason;
  st.gated.reset();
  if (obs.err.empty() && st.unhealthy)
    obs.err = unhealthy_error(x);
  st.health.reset();
  release_net(self);
  apply(self, obs, false);
  if (st.leaving)
    self->quit();
}

void on_assign(task_ptr self, const pb::Task& t) {
  auto& st = self->state;
  st.task = t;
  advance(self);
}

task_actor_type::behavior_type task_actor(task_ptr self, owner_actor_type agent,
                                          std::shared_ptr<executor> exec,
                                          node::clock* clk, pb::Task task,
                                          std::optional<process_record> record,
                                          network::network_actor_type net) {
  auto& st = self->state;
  st.agent = std::move(agent);
  st.net = std::move(net);
  st.exec = std::move(exec);
  st.clk = clk;
  st.task = task;
  st.status = task.status();
  self->set_default_handler(caf::drop);
  if (record) {
    // A previous daemon started this process: adopt it if it still lives.
    st.proc = record;
    watch(self, false);
    enter(self, adopted(st.status, record->pid, clk->now_ns()), false);
    auto was = st.status.health();
    start_health(self);
    if (st.status.health() != was)
      send_health(self);
  } else if (may_have_process(st.status.state())) {
    apply(self, error_of(lost_text), false);
  }
  advance(self);
  return {
    [=](task_update_atom, const pb::Task& t) { on_assign(self, t); },
    [=](exited_atom, const process_exit& x) { on_exit(self, x); },
    [=](probe_due_atom, uint64_t seq) { run_probe(self, seq); },
    [=](probe_end_atom, uint64_t seq, const process_exit& x) {
      if (seq == self->state.probe_seq && self->state.probe)
        on_probe(self, x.succeeded());
    },
    [=](probe_kill_atom, uint64_t seq) {
      auto& st = self->state;
      if (seq != st.probe_seq || !st.probe)
        return;
      logger("task")->info("task {} health check exceeded its timeout",
                           st.task.id());
      st.exec->terminate(*st.probe);
      on_probe(self, false);
    },
    [=](task_kill_atom) {
      auto& st = self->state;
      if (st.proc)
        st.exec->terminate(handle_of(*st.proc));
    },
    [=](unassign_atom) {
      // The task is no longer assigned: stop what runs, then go.
      auto& st = self->state;
      st.leaving = true;
      if (!st.proc) {
        // A prepare still under way is answered first (same sender), so
        // this release removes what it made.
        release_net(self);
        self->quit();
      } else {
        advance(self);
      }
    },
  };
}

} // namespace

task_actor_type spawn_task_actor(caf::actor_system& sys, owner_actor_type agent,
                                 std::shared_ptr<executor> exec,
                                 node::clock& clk, pb::Task task,
                                 std::optional<process_record> record,
                                 network::network_actor_type net) {
  return sys.spawn(task_actor, std::move(agent), std::move(exec), &clk,
                   std::move(task), record, std::move(net));
}

} // namespace actorswarm::task
