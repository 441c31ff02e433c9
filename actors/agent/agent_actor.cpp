#include "actors/agent/agent_actor.hpp"

#include <unistd.h>

#include <unordered_map>
#include <unordered_set>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/task/process_executor.hpp"
#include "actors/task/task_actor.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "os/process_watcher.hpp"
#include "persistence/task_record_store.hpp"

namespace actorswarm::agent {

namespace {

/// How often the node bound of task logs is checked (task_logs::trim_node).
/// Only finished tasks' files are trimmed, and those no longer grow.
constexpr auto log_trim_period = std::chrono::seconds(10);

/// Upper bound of task directories looked at on a full assignment.
constexpr size_t task_dirs_max = 1'000'000;

struct pending_record {
  std::string task_id;
  std::string value; // empty: remove
  caf::typed_response_promise<bool> promise;
};

// The process watcher and the executor that uses it, kept together.
struct task_runtime {
  explicit task_runtime(const task::process_executor_config& cfg)
    : exec(cfg, watcher) {
    // nop
  }
  task::process_watcher watcher;
  task::process_executor exec;
};

struct agent_state {
  agent_config cfg;
  dispatcher::session_host_actor_type dispatcher;
  persistence::task_record_store* records = nullptr;
  node::clock* clk = nullptr;
  // The watcher and executor live as long as the last task actor using them.
  std::shared_ptr<task_runtime> runtime;
  task::process_executor* exec = nullptr;
  std::unordered_map<std::string, std::string> recorded; // task id -> value
  // task id -> actor
  std::unordered_map<std::string, task::task_actor_type> tasks;
  std::string session_id;
  int64_t heartbeat_period_ns = 0;
  std::vector<pb::TaskStatusUpdate> statuses;
  std::vector<pending_record> record_writes;
  bool flush_scheduled = false;
  static inline const char* name = "agent";

  ~agent_state() {
    // Task actors end with the agent; their processes keep running (a
    // restarted daemon adopts them).
    for (auto& [id, a] : tasks)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

using agent_ptr = agent_actor_type::stateful_pointer<agent_state>;

void schedule_flush(agent_ptr self) {
  if (!self->state.flush_scheduled) {
    self->state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

// Group commit for task records and one status batch per flush.
void flush(agent_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  std::vector<persistence::task_record_store::record> puts;
  std::vector<std::string> removes;
  for (auto& w : st.record_writes) {
    if (w.value.empty()) {
      removes.push_back(w.task_id);
      st.recorded.erase(w.task_id);
    } else {
      puts.emplace_back(w.task_id, w.value);
      st.recorded[w.task_id] = w.value;
    }
  }
  if (!puts.empty())
    st.records->put(puts); // synced; fail-stop inside
  if (!removes.empty())
    st.records->remove(removes);
  for (auto& w : st.record_writes)
    if (w.promise.pending())
      w.promise.deliver(true);
  st.record_writes.clear();
  if (!st.statuses.empty() && !st.session_id.empty()) {
    pb::StatusBatch b;
    b.set_node_id(st.cfg.node_id);
    b.set_session_id(st.session_id);
    for (auto& u : st.statuses)
      *b.add_updates() = std::move(u);
    st.statuses.clear();
    self->send(st.dispatcher, status_batch_atom::value, std::move(b));
  }
}

void spawn_task(agent_ptr self, const pb::Task& t) {
  auto& st = self->state;
  std::optional<task::process_record> rec;
  if (auto i = st.recorded.find(t.id()); i != st.recorded.end())
    rec = task::decode_record(i->second);
  auto a = task::spawn_task_actor(self->system(),
                                  caf::actor_cast<agent_actor_type>(self),
                                  std::shared_ptr<task::executor>(st.runtime,
                                                                  st.exec),
                                  *st.clk, t, rec, st.cfg.network);
  st.tasks.emplace(t.id(), a);
}

// Processes recorded by an earlier daemon whose tasks are no longer assigned
// here: stop them (only if pid and start time still match) and forget them.
void reap_unassigned(agent_ptr self) {
  auto& st = self->state;
  std::vector<std::string> gone;
  for (auto& [id, value] : st.recorded) {
    if (st.tasks.count(id) != 0)
      continue;
    if (auto r = task::decode_record(value);
        r && task::alive_with_start_time(r->pid, r->start_time_ticks))
      st.exec->terminate({r->pid, r->start_time_ticks, r->pgid});
    gone.push_back(id);
  }
  for (auto& id : gone)
    st.record_writes.push_back({id, {}, {}});
  if (!gone.empty())
    schedule_flush(self);
}

// A task's logs go when it leaves the task history (the store deleted it):
// its id is in `deleted`, or, on a full assignment, its directory belongs to
// no task the store still has for this node (deleted while we were away).
// A task this agent still has an actor for keeps its logs. (A deleted task
// whose process is still stopping loses the last of its output: its writer
// then drops what comes.)
void remove_logs(agent_ptr self, const pb::Assignments& as) {
  auto& st = self->state;
  auto& logs = st.exec->logs();
  auto ours = [&st](const std::string& id) { return st.tasks.count(id) != 0; };
  for (auto& id : as.deleted())
    if (!ours(id))
      logs.remove(id);
  if (!as.full())
    return;
  std::unordered_set<std::string> keep(as.kept().begin(), as.kept().end());
  for (auto& t : as.update())
    keep.insert(t.id());
  for (auto& id : logs.task_ids(task_dirs_max))
    if (keep.count(id) == 0 && !ours(id))
      logs.remove(id);
}

void on_assignments(agent_ptr self, const pb::Assignments& as) {
  auto& st = self->state;
  if (as.session_id() != st.session_id && !st.session_id.empty())
    return;
  // First the data plane: a task actor spawned below asks the network
  // actor for its namespace after this.
  if (st.cfg.network && as.networks_set())
    self->send(st.cfg.network, net_assign_atom::value, as);
  for (auto& t : as.update()) {
    auto i = st.tasks.find(t.id());
    if (i == st.tasks.end())
      spawn_task(self, t);
    else
      self->send(i->second, task_update_atom::value, t);
  }
  for (auto& id : as.remove()) {
    if (auto i = st.tasks.find(id); i != st.tasks.end()) {
      self->send(i->second, unassign_atom::value);
      st.tasks.erase(i);
    }
  }
  remove_logs(self, as);
  if (as.full()) {
    std::unordered_map<std::string, bool> wanted;
    for (auto& t : as.update())
      wanted[t.id()] = true;
    for (auto i = st.tasks.begin(); i != st.tasks.end();) {
      if (wanted.count(i->first) == 0) {
        self->send(i->second, unassign_atom::value);
        i = st.tasks.erase(i);
      } else {
        ++i;
      }
    }
    reap_unassigned(self);
  }
}

void open_session(agent_ptr self) {
  auto& st = self->state;
  pb::SessionRequest req;
  req.set_node_id(st.cfg.node_id);
  req.set_addr(st.cfg.addr);
  auto& d = *req.mutable_description();
  d.set_hostname(st.cfg.hostname);
  d.set_engine_version("actorswarm 0.1.0");
  d.set_os("linux");
  d.set_architecture("x86_64");
  d.mutable_resources()->set_nano_cpus(
    static_cast<int64_t>(sysconf(_SC_NPROCESSORS_ONLN)) * 1'000'000'000);
  d.mutable_resources()->set_memory_bytes(
    static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE));
  dispatcher::assignee_actor_type me = caf::actor_cast<agent_actor_type>(self);
  self->request(st.dispatcher, caf::infinite, session_atom::value, req, me)
    .await([=](const pb::SessionReply& r) {
      self->state.session_id = r.session_id();
      self->state.heartbeat_period_ns = r.heartbeat_period_ns();
      self->send(self, heartbeat_due_atom::value);
    });
}

agent_actor_type::behavior_type
agent_actor(agent_ptr self, dispatcher::session_host_actor_type dispatcher,
            persistence::task_record_store* records, agent_config cfg,
            node::clock* clk) {
  auto& st = self->state;
  st.dispatcher = std::move(dispatcher);
  st.records = records;
  st.clk = clk;
  st.cfg = cfg;
  task::process_executor_config ecfg;
  ecfg.tasks_dir = cfg.tasks_dir;
  ecfg.data_dir = cfg.data_dir;
  ecfg.cgroups.root = cfg.cgroup_root;
  st.runtime = std::make_shared<task_runtime>(ecfg);
  st.exec = &st.runtime->exec;
  for (auto& [id, value] : records->load_all())
    st.recorded.emplace(id, value);
  logger("agent")->info("agent started node_id={} recorded_tasks={}",
                        cfg.node_id, st.recorded.size());
  open_session(self);
  self->delayed_send(self, log_trim_period, log_maintain_atom::value);
  return {
    [=](assign_atom, const pb::Assignments& as) { on_assignments(self, as); },
    [=](task_status_atom, const std::string& task_id, const pb::TaskStatus& s) {
      pb::TaskStatusUpdate u;
      u.set_task_id(task_id);
      *u.mutable_status() = s;
      self->state.statuses.push_back(std::move(u));
      schedule_flush(self);
    },
    [=](task_record_atom, const std::string& task_id,
        std::string& value) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      self->state.record_writes.push_back({task_id, std::move(value), rp});
      schedule_flush(self);
      return rp;
    },
    [=](flush_atom) { flush(self); },
    [=](heartbeat_due_atom) {
      auto& st = self->state;
      pb::Heartbeat hb;
      hb.set_node_id(st.cfg.node_id);
      hb.set_session_id(st.session_id);
      self->send(st.dispatcher, heartbeat_atom::value, hb);
      self->delayed_send(self,
                         std::chrono::nanoseconds(st.heartbeat_period_ns / 2),
                         heartbeat_due_atom::value);
    },
    [=](log_maintain_atom) {
      auto& st = self->state;
      auto freed = st.exec->logs().trim_node([&st](const std::string& id) {
        return st.tasks.count(id) != 0 || st.recorded.count(id) != 0;
      });
      if (freed > 0)
        logger("agent")->info("task logs over the node bound freed_bytes={}",
                              freed);
      self->delayed_send(self, log_trim_period, log_maintain_atom::value);
    },
  };
}

} // namespace

agent_actor_type spawn_agent(caf::actor_system& sys,
                             dispatcher::session_host_actor_type dispatcher,
                             persistence::task_record_store& records,
                             agent_config cfg, node::clock& clk) {
  return sys.spawn(agent_actor, std::move(dispatcher), &records, std::move(cfg),
                   &clk);
}

} // namespace actorswarm::agent
