#include "actors/update/update_actor.hpp"

#include <random>
#include <set>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/orchestrator/dirty_set.hpp"
#include "actors/store/store_interface.hpp"
#include "actors/update/update_engine.hpp"
#include "actors/update/update_status.hpp"
#include "messages/ids_seed.hpp"

namespace actorswarm::update {

namespace {

/// After this many refusals in a row a service waits for its next event
/// instead of proposing again at once (a refusal that is not a stale read
/// must not spin).
constexpr int refusals_max = 3;

struct update_state {
  store::object_store view;
  store::store_actor_type store;
  node::clock* clk = nullptr;
  update_engine engine;
  /// Services to step, and their timers.
  orchestrator::dirty_set dirty;
  /// Services whose batch awaits the store's answer: not stepped meanwhile,
  /// so no step misses its own previous writes.
  std::set<std::string> in_flight;
  std::map<std::string, int> refusals;
  std::mt19937_64 gen{os_seed()};
  std::optional<int64_t> timer_at_ns;
  static inline const char* name = "update";
};

using update_actor_t = update_actor_type::stateful_base<update_state>;

void arm_timer(update_actor_t* self) {
  auto& st = self->state;
  auto next = st.dirty.next_timer_ns();
  if (!next || (st.timer_at_ns && *st.timer_at_ns <= *next))
    return;
  st.timer_at_ns = next;
  auto delay = std::max<int64_t>(0, *next - st.clk->now_ns());
  self->delayed_send(self, std::chrono::nanoseconds(delay),
                     update_wakeup_atom::value);
}

outdated_context context_of(const store::object_store& view) {
  outdated_context ctx;
  ctx.node_of = [&view](const std::string& id) -> const pb::Node* {
    auto i = view.nodes().find(id);
    return i == view.nodes().end() ? nullptr : i->second.get();
  };
  for (auto& [id, n] : view.networks())
    if (n->spec().ingress())
      ctx.ingress_network_id = n->id();
  return ctx;
}

void step_all(update_actor_t* self);

void propose(update_actor_t* self, const std::string& id,
             std::vector<pb::StoreAction> actions) {
  auto& st = self->state;
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(st.clk->now_ns());
  for (auto& a : actions)
    *b.add_actions() = std::move(a);
  st.in_flight.insert(id);
  self->request(st.store, caf::infinite, propose_atom::value, std::move(b))
    .then(
      [=](uint64_t) {
        auto& st = self->state;
        st.engine.accept(id);
        st.in_flight.erase(id);
        st.refusals.erase(id);
        st.dirty.mark(id);
        step_all(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        logger("update")->debug("service={} batch refused: {}", id,
                                caf::to_string(err));
        st.engine.reject(id);
        st.in_flight.erase(id);
        if (++st.refusals[id] <= refusals_max)
          st.dirty.mark(id);
        step_all(self);
      });
}

// Steps every dirty service that has no batch in flight; the others are
// stepped once their answer came.
void step_all(update_actor_t* self) {
  auto& st = self->state;
  if (st.dirty.empty())
    return;
  auto ctx = context_of(st.view);
  auto now = st.clk->now_ns();
  std::vector<std::string> later;
  for (auto& id : st.dirty.take()) {
    if (st.in_flight.count(id) != 0) {
      later.push_back(id);
      continue;
    }
    auto i = st.view.services().find(id);
    const pb::Service* svc = i == st.view.services().end() ? nullptr
                                                           : i->second.get();
    std::vector<pb::Task> tasks;
    if (svc != nullptr)
      for (auto& t : st.view.tasks_of(id))
        tasks.push_back(*t);
    auto r = st.engine.step(id, svc, tasks, ctx, now, st.gen);
    if (r.wake_at_ns)
      st.dirty.schedule(id, *r.wake_at_ns);
    if (!r.actions.empty())
      propose(self, id, std::move(r.actions));
  }
  for (auto& id : later)
    st.dirty.mark(id);
  arm_timer(self);
}

// Which services a change concerns: its own, a task's (unless the service
// is idle: no update, nothing mid-replacement), and on node changes (down,
// drained: a stop-first wait may end) every service being updated.
void observe(update_state& st, const store::change& c) {
  if (auto& s = c.service_after ? c.service_after : c.service_before) {
    st.dirty.mark(s->id());
  } else if (auto& t = c.task_after ? c.task_after : c.task_before) {
    auto i = st.view.services().find(t->service_id());
    if (i == st.view.services().end()
        || !st.engine.idle(t->service_id(), i->second->spec_version()))
      st.dirty.mark(t->service_id());
  } else if (c.node_after || c.node_before) {
    for (auto& [id, s] : st.view.services())
      if (in_progress(s->update_status()))
        st.dirty.mark(s->id());
  }
}

update_actor_type::behavior_type update_actor(update_actor_t* self,
                                              store::store_actor_type store,
                                              node::clock* clk) {
  auto& st = self->state;
  st.store = store;
  st.clk = clk;
  store::subscribe(self, store, [=](const store_view_ptr& v) {
    auto& st = self->state;
    st.view = *v;
    // A new leader (or a restarted daemon) resumes every update from the
    // store; services without one are stepped once and stay quiet.
    for (auto& [id, s] : st.view.services())
      st.dirty.mark(s->id());
    step_all(self);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      auto& st = self->state;
      st.view.apply_changes(*cs);
      if (cs->reset) {
        for (auto& [id, s] : st.view.services())
          st.dirty.mark(s->id());
      }
      for (auto& c : cs->changes)
        observe(st, c);
      step_all(self);
    },
    [=](update_wakeup_atom) {
      auto& st = self->state;
      st.timer_at_ns.reset();
      st.dirty.fire_due(st.clk->now_ns());
      step_all(self);
      arm_timer(self);
    },
  };
}

} // namespace

update_actor_type spawn_update(caf::actor_system& sys,
                               const store::store_actor_type& store,
                               node::clock& clk) {
  return sys.spawn(update_actor, store, &clk);
}

} // namespace actorswarm::update
