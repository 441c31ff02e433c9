#include "actors/task/task_actor.hpp"

#include <sstream>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/task/executor.hpp"
#include "actors/task/task_state_machine.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::task {

namespace {

struct task_state {
  caf::actor agent;
  std::shared_ptr<executor> exec;  // shared: outlives the agent if need be
  node::clock* clk = nullptr;
  pb::Task task;
  pb::TaskState reported = pb::NEW;
  std::optional<process_record> proc;
  std::optional<started_process> gated;
  bool starting = false;
  bool stopping = false;
  bool leaving = false;
  static inline const char* name = "task";
};

using task_actor_t = caf::stateful_actor<task_state>;

void report(task_actor_t* self, pb::TaskState s, std::string msg,
            std::string err = {}, int32_t exit_code = 0) {
  auto& st = self->state;
  if (s <= st.reported || s <= st.task.status().state())
    return;
  st.reported = s;
  pb::TaskStatus status;
  status.set_state(s);
  status.set_timestamp_ns(st.clk->now_ns());
  status.set_message(std::move(msg));
  status.set_err(std::move(err));
  status.set_exit_code(exit_code);
  if (st.proc)
    status.set_pid(st.proc->pid);
  if (s == pb::RUNNING)
    status.set_started_at_ns(status.timestamp_ns());
  else if (st.task.status().started_at_ns() != 0)
    status.set_started_at_ns(st.task.status().started_at_ns());
  self->send(st.agent, status_atom::value, st.task.id(), status);
}

void watch(task_actor_t* self, bool is_child) {
  auto& st = self->state;
  auto me = caf::actor_cast<caf::actor>(self);
  process_handle h{st.proc->pid, st.proc->start_time_ticks, st.proc->pgid};
  auto id = st.task.id();
  auto pid = st.proc->pid;
  auto cb = [me, id, pid](net::exit_info x) {
    caf::anon_send(me, exited_atom::value,
                   exit_event{id, pid, x.known, x.exit_code, x.signal});
  };
  bool ok = is_child ? st.exec->wait(h, true, cb) : st.exec->adopt(h, cb);
  if (!ok)
    caf::anon_send(me, exited_atom::value, exit_event{id, pid, false, 0, 0});
}

void start(task_actor_t* self) {
  auto& st = self->state;
  st.starting = true;
  if (auto w = st.exec->prepare(st.task); !w) {
    report(self, pb::REJECTED, "rejected", w.error().message);
    return;
  } else if (!w->empty()) {
    logger("task")->warn("{}", *w);
  }
  report(self, pb::PREPARING, "preparing");
  report(self, pb::READY, "prepared");
  auto p = st.exec->start(st.task);
  if (!p) {
    report(self, pb::FAILED, "starting", p.error().message);
    return;
  }
  report(self, pb::STARTING, "starting");
  st.proc = process_record{p->handle.pid,
                           static_cast<uint64_t>(p->handle.start_time_ticks),
                           p->handle.pgid};
  st.gated.emplace(std::move(*p));
  // The start gate: exec only after the agent recorded the process durably.
  self->request(st.agent, caf::infinite, report_atom::value, st.task.id(),
                encode_record(*st.proc))
    .then([=](bool) {
      auto& st = self->state;
      st.exec->release(*st.gated);
      watch(self, true);
      report(self, pb::RUNNING, "started");
      if (st.task.desired_state() > pb::RUNNING && !st.stopping)
        self->send(self, stop_atom::value);
    });
}

void begin_stop(task_actor_t* self) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  if (!st.proc) {
    report(self, pb::SHUTDOWN, "shutdown");
    return;
  }
  process_handle h{st.proc->pid, st.proc->start_time_ticks, st.proc->pgid};
  st.exec->shutdown(h);
  auto grace_ns = st.task.spec().container().stop_grace_period_ns();
  self->delayed_send(self, std::chrono::nanoseconds(grace_ns),
                     kill_atom::value);
}

void on_exit(task_actor_t* self, const exit_event& x) {
  auto& st = self->state;
  st.exec->remove(st.task.id(), false);
  // Forget the record (an empty value removes it); nothing waits on it.
  self->request(st.agent, caf::infinite, report_atom::value, st.task.id(),
                std::string{})
    .then([](bool) {});
  st.proc.reset();
  if (st.stopping || st.task.desired_state() > pb::RUNNING) {
    report(self, pb::SHUTDOWN, "shutdown");
  } else if (x.known && x.exit_code == 0 && x.signal == 0) {
    report(self, pb::COMPLETE, "finished");
  } else {
    auto code = x.signal != 0 ? 128 + x.signal : x.exit_code;
    std::string reason;
    if (st.gated
        && st.exec->exec_result(*st.gated, reason) == exec_state::failed)
      report(self, pb::FAILED, "failed", reason, code);
    else
      report(self, pb::FAILED, "failed", exit_error(code, x.known), code);
  }
  st.gated.reset();
  if (st.leaving)
    self->quit();
}

void on_assign(task_actor_t* self, const pb::Task& t) {
  auto& st = self->state;
  st.task = t;
  if (t.desired_state() > pb::RUNNING) {
    if (!st.starting || st.proc)
      begin_stop(self);
    return;
  }
  if (!st.starting && t.status().state() < pb::STARTING)
    start(self);
}

caf::behavior task_behavior(task_actor_t* self, caf::actor agent,
                            std::shared_ptr<executor> exec, node::clock* clk,
                            pb::Task task,
                            std::optional<process_record> record) {
  auto& st = self->state;
  st.agent = std::move(agent);
  st.exec = std::move(exec);
  st.clk = clk;
  st.task = task;
  st.reported = task.status().state();
  self->set_default_handler(caf::drop);
  if (record) {
    // A previous daemon started this process: adopt it if it still lives.
    st.proc = record;
    st.starting = true;
    watch(self, false);
    report(self, pb::RUNNING, "adopted after daemon restart");
  } else if (task.status().state() >= pb::STARTING) {
    st.starting = true;
    report(self, pb::FAILED, "failed",
           "task process lost: it was never recorded as started");
  }
  on_assign(self, task);
  return {
    [=](assign_atom, const pb::Task& t) { on_assign(self, t); },
    [=](exited_atom, const exit_event& x) { on_exit(self, x); },
    [=](kill_atom) {
      auto& st = self->state;
      if (st.proc)
        st.exec->terminate(
          {st.proc->pid, st.proc->start_time_ticks, st.proc->pgid});
    },
    [=](stop_atom) { begin_stop(self); },
    [=](leave_atom) {
      // The task is no longer assigned: stop what runs, then go.
      auto& st = self->state;
      st.leaving = true;
      if (!st.proc)
        self->quit();
      else
        begin_stop(self);
    },
  };
}

} // namespace

caf::actor spawn_task_actor(caf::actor_system& sys, caf::actor agent,
                            std::shared_ptr<executor> exec, node::clock& clk,
                            pb::Task task,
                            std::optional<process_record> record) {
  return sys.spawn(task_behavior, std::move(agent), std::move(exec), &clk,
                   std::move(task), record);
}

} // namespace actorswarm::task
