#include "actors/orchestrator/orchestrator_actor.hpp"

#include <random>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/orchestrator/dirty_set.hpp"
#include "actors/orchestrator/reconcile.hpp"
#include "actors/orchestrator/task_reaper.hpp"
#include "actors/scheduler/constraint.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/defaults.hpp"
#include "messages/ids_seed.hpp"

namespace actorswarm::orchestrator {

namespace {

struct orchestrator_state {
  store::object_store view;
  store::store_actor_type store;
  node::clock* clk = nullptr;
  dirty_set dirty;
  restart_tracker restarts;
  std::mt19937_64 gen{os_seed()};
  bool in_flight = false;
  std::optional<int64_t> timer_at_ns;
  static inline const char* name = "orchestrator";
};

using orchestrator_actor_t
  = orchestrator_actor_type::stateful_base<orchestrator_state>;

pb::StoreAction as_action(const store::change& c) {
  pb::StoreAction a;
  a.set_kind(c.kind);
  if (auto& n = c.node_after ? c.node_after : c.node_before)
    *a.mutable_node() = *n;
  else if (auto& s = c.service_after ? c.service_after : c.service_before)
    *a.mutable_service() = *s;
  else if (auto& t = c.task_after ? c.task_after : c.task_before)
    *a.mutable_task() = *t;
  else if (auto& cl = c.cluster_after ? c.cluster_after : c.cluster_before)
    *a.mutable_cluster() = *cl;
  return a;
}

bool eligible(const pb::Node& n, const pb::Service& svc) {
  if (n.status().state() != pb::NodeStatus::READY
      || n.spec().availability() != pb::NodeSpec::ACTIVE)
    return false;
  auto& pl = svc.spec().task().placement();
  std::vector<std::string> xs(pl.constraints().begin(), pl.constraints().end());
  auto cs = scheduler::parse_constraints(xs);
  return cs && scheduler::matches(*cs, n);
}

void arm_timer(orchestrator_actor_t* self) {
  auto& st = self->state;
  auto next = st.dirty.next_timer_ns();
  if (!next || (st.timer_at_ns && *st.timer_at_ns <= *next))
    return;
  st.timer_at_ns = next;
  auto delay = std::max<int64_t>(0, *next - st.clk->now_ns());
  self->delayed_send(self, std::chrono::nanoseconds(delay),
                     orchestrator_wakeup_atom::value);
}

// The swarm's max_replicas_per_service (0: the default).
uint64_t replica_limit(const store::object_store& view) {
  auto c = view.cluster();
  if (!c || c->spec().max_replicas_per_service() == 0)
    return cluster_defaults::max_replicas_per_service;
  return c->spec().max_replicas_per_service();
}

// Reconciles every dirty service and proposes one batch; one proposal in
// flight at a time, so no reconcile runs on a view that misses its own
// previous writes. The batch creates at most new_tasks_per_batch_max tasks
// over all services; a service that stopped at that budget is reconciled
// again once the batch has committed. No slot above the swarm's replica
// limit is filled.
void reconcile(orchestrator_actor_t* self) {
  auto& st = self->state;
  if (st.in_flight || st.dirty.empty())
    return;
  auto now = st.clk->now_ns();
  node_map nodes;
  for (auto& [id, n] : st.view.nodes())
    nodes.emplace(id, *n);
  uint64_t history = default_task_history_limit;
  if (auto c = st.view.cluster(); c && c->spec().task_history_limit() > 0)
    history = c->spec().task_history_limit();
  pb::StoreBatch batch;
  batch.set_proposed_at_ns(now);
  reconcile_limits limits;
  limits.slots_max = replica_limit(st.view);
  std::vector<std::string> again;
  for (auto& id : st.dirty.take()) {
    auto svc_it = st.view.services().find(id);
    const pb::Service* svc = svc_it == st.view.services().end()
                               ? nullptr
                               : svc_it->second.get();
    std::vector<pb::Task> tasks;
    for (auto& t : st.view.tasks_of(id))
      tasks.push_back(*t);
    node_predicate ok = [svc](const pb::Node& n) {
      return svc && eligible(n, *svc);
    };
    auto r = reconcile_service(svc, tasks, nodes, ok, st.restarts, now, st.gen,
                               limits);
    r.merge(reap_tasks(svc, tasks, history));
    if (r.next_wakeup_ns)
      st.dirty.schedule(id, *r.next_wakeup_ns);
    if (r.more)
      again.push_back(id);
    for (auto& a : r.actions) {
      if (a.kind() == pb::StoreAction::CREATE && limits.new_tasks_max > 0)
        --limits.new_tasks_max;
      *batch.add_actions() = std::move(a);
    }
  }
  arm_timer(self);
  if (batch.actions_size() == 0)
    return;
  st.in_flight = true;
  self->request(st.store, caf::infinite, propose_atom::value, std::move(batch))
    .then(
      [=](uint64_t) {
        self->state.in_flight = false;
        for (auto& id : again)
          self->state.dirty.mark(id);
        reconcile(self);
      },
      [=](caf::error& err) {
        logger("orchestrator")->debug("batch refused: {}", caf::to_string(err));
        self->state.in_flight = false;
        self->state.dirty.mark_all();
        reconcile(self);
      });
}

orchestrator_actor_type::behavior_type
orchestrator_actor(orchestrator_actor_t* self, store::store_actor_type store,
                   node::clock* clk) {
  auto& st = self->state;
  st.store = store;
  st.clk = clk;
  store::subscribe(self, store, [=](const store_view_ptr& v) {
    auto& st = self->state;
    st.view = *v;
    for (auto& [id, s] : st.view.services()) {
      pb::StoreAction a;
      *a.mutable_service() = *s;
      st.dirty.observe(a);
    }
    for (auto& [id, t] : st.view.tasks()) {
      pb::StoreAction a;
      *a.mutable_task() = *t;
      st.dirty.observe(a);
    }
    st.dirty.mark_all();
    reconcile(self);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      auto& st = self->state;
      st.view.apply_changes(*cs);
      for (auto& c : cs->changes)
        st.dirty.observe(as_action(c));
      reconcile(self);
    },
    [=](orchestrator_wakeup_atom) {
      auto& st = self->state;
      st.timer_at_ns.reset();
      st.dirty.fire_due(st.clk->now_ns());
      reconcile(self);
      arm_timer(self);
    },
  };
}

} // namespace

orchestrator_actor_type spawn_orchestrator(caf::actor_system& sys,
                                           const store::store_actor_type& store,
                                           node::clock& clk) {
  return sys.spawn(orchestrator_actor, store, &clk);
}

} // namespace actorswarm::orchestrator
