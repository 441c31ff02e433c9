// Orchestration in the simulation (docs/simulation.md, "Orchestration"):
// each manager runs the daemon's dispatcher and leadership actor (which
// starts the allocator, scheduler, orchestrator, CA and manager status
// publisher while it leads), and a simulated agent per node stands in for
// the production agent, whose task actors run real processes: it opens a
// session with its manager's dispatcher, heartbeats, "runs" the tasks
// assigned to it and reports their states through the dispatcher's
// interface. The simulation knows every task process that runs, so it
// checks what a user would see: never two processes of one slot for longer
// than the reconciliation window, and every service's replicas running
// once the faults healed.

#include "sim/simulation.hpp"

#include "actors/dispatcher/dispatcher_actor.hpp"

namespace actorswarm::sim::detail {

namespace {

struct agent_state {
  std::string session;
  /// A session request is out: the dispatcher sends the full set before
  /// its reply arrives.
  bool opening = false;
  int64_t period_ms = 5000;
  static inline const char* name = "sim_agent";
};

using agent_actor = caf::stateful_actor<agent_state>;

std::string slot_key(const pb::Task& t) {
  return t.service_id() + "#"
         + (t.slot() ? std::to_string(t.slot()) : t.node_id());
}

caf::behavior agent_behavior(agent_actor* self, simulation* sim, uint64_t id,
                             std::shared_ptr<bool> alive,
                             dispatcher::dispatcher_actor_type disp) {
  auto node_id = simulation::node_name(id);
  auto report = [=](pb::StatusBatch b) {
    if (!*alive || b.updates_size() == 0 || self->state.session.empty())
      return;
    b.set_node_id(node_id);
    b.set_session_id(self->state.session);
    self->send(disp, status_batch_atom::value, std::move(b));
  };
  self->send(self, session_atom::value);
  return {
    [=](session_atom) {
      if (!*alive)
        return;
      pb::SessionRequest rq;
      rq.set_node_id(node_id);
      rq.set_addr(simulation::member(id).addr());
      rq.mutable_description()->set_hostname(node_id);
      self->state.opening = true;
      self
        ->request(disp, std::chrono::seconds(5), session_atom::value, rq,
                  caf::actor_cast<dispatcher::assignee_actor_type>(self))
        .then(
          [=](pb::SessionReply& r) {
            self->state.session = r.session_id();
            self->state.opening = false;
            self->state.period_ms
              = std::max<int64_t>(r.heartbeat_period_ns() / 1000000, 100);
            self->delayed_send(self,
                               std::chrono::milliseconds(self->state.period_ms),
                               heartbeat_atom::value);
          },
          [=](caf::error&) {
            self->state.opening = false;
            self->delayed_send(self, std::chrono::seconds(1),
                               session_atom::value);
          });
    },
    [=](heartbeat_atom) {
      if (!*alive)
        return;
      pb::Heartbeat hb;
      hb.set_node_id(node_id);
      hb.set_session_id(self->state.session);
      self->send(disp, heartbeat_atom::value, hb);
      // A report the dispatcher could not store (no leader) goes again.
      report(sim->agent_reports(id));
      self->delayed_send(self, std::chrono::milliseconds(self->state.period_ms),
                         heartbeat_atom::value);
    },
    [=](assign_atom, const pb::Assignments& a) {
      auto& st = self->state;
      if (!*alive)
        return;
      if (a.session_id() != st.session) {
        if (!st.opening)
          return;
        st.session = a.session_id();
      }
      report(sim->on_assignments(id, a));
    },
  };
}

} // namespace

caf::actor spawn_sim_agent(caf::actor_system& sys, simulation* sim, uint64_t id,
                           std::shared_ptr<bool> alive,
                           dispatcher::dispatcher_actor_type disp) {
  return caf::actor_cast<caf::actor>(sys.spawn(agent_behavior, sim, id,
                                               std::move(alive),
                                               std::move(disp)));
}

// -- the tasks' processes -------------------------------------------------

pb::StatusBatch simulation::on_assignments(uint64_t id,
                                           const pb::Assignments& a) {
  auto& n = node(id);
  if (a.full())
    n.assigned.clear();
  for (const auto& r : a.remove())
    n.assigned.erase(r);
  for (const auto& t : a.update())
    n.assigned[t.id()] = t;
  // A task no longer assigned to the node stops.
  for (auto i = n.processes.begin(); i != n.processes.end();) {
    auto next = std::next(i);
    if (!n.assigned.count(i->first))
      stop_process(n, i->first);
    i = next;
  }
  return agent_reports(id);
}

pb::StatusBatch simulation::agent_reports(uint64_t id) {
  auto& n = node(id);
  pb::StatusBatch b;
  auto add = [&](const std::string& task, pb::TaskState s, const char* msg) {
    auto* u = b.add_updates();
    u->set_task_id(task);
    u->mutable_status()->set_state(s);
    u->mutable_status()->set_message(msg);
    u->mutable_status()->set_timestamp_ns(clock_.now_ns());
  };
  for (const auto& [task, t] : n.assigned) {
    auto observed = t.status().state();
    if (t.desired_state() <= pb::RUNNING) {
      if (observed > pb::RUNNING)
        continue; // it ended: the orchestrator replaces it
      if (!n.processes.count(task))
        start_process(n, t);
      if (observed < pb::RUNNING)
        add(task, pb::RUNNING, "started");
    } else {
      if (n.processes.count(task))
        stop_process(n, task);
      if (observed < pb::COMPLETE)
        add(task, pb::SHUTDOWN, "shutdown");
    }
  }
  return b;
}

void simulation::start_process(sim_node& n, const pb::Task& t) {
  auto key = slot_key(t);
  n.processes[t.id()] = key;
  ++result_.tasks_started;
  auto& s = slots_[key];
  s.running.insert(t.id());
  if (s.running.size() > 1 && s.since == never) {
    s.since = now_;
    ++result_.duplicate_slots;
    trace("slot " + key + " runs " + std::to_string(s.running.size())
          + " tasks (n" + std::to_string(n.id) + " started one)");
  }
}

void simulation::stop_process(sim_node& n, const std::string& task) {
  auto i = n.processes.find(task);
  if (i == n.processes.end())
    return;
  auto& s = slots_[i->second];
  s.running.erase(task);
  if (s.running.size() <= 1 && s.since != never) {
    trace("slot " + i->second + " runs one task again after "
          + std::to_string(now_ - s.since) + " ms (n" + std::to_string(n.id)
          + " stopped one)");
    check_slot(i->second, s);
    s.since = never;
  }
  n.processes.erase(i);
}

void simulation::check_slot(const std::string& key, const slot_state& s) {
  // Duplicates while faults last are allowed (a partitioned node keeps its
  // tasks, as Docker's does); once the faults healed, the window counts.
  auto from = std::max(s.since, healed_at_);
  if (s.since == never || now_ <= from || now_ - from <= reconcile_window_ms)
    return;
  violation("slot " + key + " ran two tasks at once for "
            + std::to_string(now_ - from)
            + " ms after the faults healed (window "
            + std::to_string(reconcile_window_ms) + " ms)");
}

// -- node objects (as swarm init and the admission actor store them) ------

void simulation::register_nodes() {
  sim_node* to = nullptr;
  for (auto& m : nodes_)
    if (m->up && m->is_leader
        && (!to || m->last_leader_term > to->last_leader_term))
      to = m.get();
  if (!to)
    return;
  pb::StoreBatch b;
  for (auto& m : nodes_) {
    if (registered_.count(m->id))
      continue;
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::CREATE);
    auto& x = *a->mutable_node();
    auto mem = member(m->id);
    x.set_id(mem.node_id());
    x.set_role(pb::NodeSpec::MANAGER);
    x.mutable_spec()->set_desired_role(pb::NodeSpec::MANAGER);
    x.mutable_description()->set_hostname(mem.node_id());
    x.mutable_status()->set_state(pb::NodeStatus::UNKNOWN);
    x.mutable_status()->set_addr(mem.addr());
    x.mutable_manager_status()->set_raft_id(m->id);
    x.mutable_manager_status()->set_addr(mem.addr());
  }
  if (b.actions_size() == 0)
    return;
  auto alive = to->alive;
  auto store = to->store;
  auto* self = this;
  std::vector<uint64_t> ids;
  for (auto& m : nodes_)
    if (!registered_.count(m->id))
      ids.push_back(m->id);
  helper([=](caf::event_based_actor* a) {
    a->request(store, std::chrono::seconds(3), propose_atom::value, b)
      .then(
        [=](uint64_t) {
          if (*alive)
            for (auto x : ids)
              self->registered_.insert(x);
        },
        [=](caf::error&) {});
  });
}

// -- desired state reached ------------------------------------------------

void simulation::check_orchestration(const store::object_store& v) {
  for (const auto& [sid, svc] : v.services()) {
    auto want = svc->spec().replicas();
    std::set<uint64_t> running;
    for (const auto& t : v.tasks_of(std::string{sid}))
      if (t->desired_state() == pb::RUNNING && !t->node_id().empty()
          && t->status().state() == pb::RUNNING)
        running.insert(t->slot());
    size_t processes = 0;
    for (const auto& [key, s] : slots_)
      if (key.rfind(std::string{sid} + "#", 0) == 0 && !s.running.empty())
        ++processes;
    if (running.size() != want || processes != want) {
      violation("desired state not reached after the faults healed: service "
                + std::string{sid} + " wants " + std::to_string(want)
                + " replicas, the store shows " + std::to_string(running.size())
                + " slots running on nodes, agents run "
                + std::to_string(processes) + " slots");
      return;
    }
  }
  for (const auto& [key, s] : slots_) {
    if (s.running.size() > 1)
      check_slot(key, s);
    auto sid = key.substr(0, key.rfind('#'));
    if (!s.running.empty() && !v.services().count(sid)) {
      violation("desired state not reached after the faults healed: slot " + key
                + " of a removed service still runs");
      return;
    }
  }
}

} // namespace actorswarm::sim::detail
