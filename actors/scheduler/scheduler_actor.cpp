#include "actors/scheduler/scheduler_actor.hpp"

#include <map>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/scheduler/scheduler.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::scheduler {

namespace {

struct scheduler_state {
  std::unique_ptr<class scheduler> sched;
  store::store_actor_type store;
  node::clock* clk = nullptr;
  std::map<std::string, pb::Task> pending; // unplaced tasks, by id
  pb::Placement::Strategy strategy = pb::Placement::SPREAD;
  bool in_flight = false;
  bool retry = false; // something changed since the last attempt
  static inline const char* name = "scheduler";
};

using scheduler_actor_t = scheduler_actor_type::stateful_base<scheduler_state>;

bool wants_placement(const pb::Task& t) {
  return t.status().state() == pb::PENDING && t.desired_state() <= pb::RUNNING;
}

void observe_task(scheduler_state& st, const store::object_ptr<pb::Task>& t,
                  const store::object_ptr<pb::Task>& before) {
  if (!t) {
    st.sched->remove_task(before->id());
    st.pending.erase(before->id());
    st.retry = true;
    return;
  }
  st.sched->upsert_task(*t);
  if (wants_placement(*t)) {
    st.pending[t->id()] = *t;
  } else {
    if (st.pending.erase(t->id()) == 0 && before
        && before->status().state() <= pb::RUNNING
        && t->status().state() > pb::RUNNING)
      st.retry = true; // resources freed
  }
}

void observe(scheduler_state& st, const store::change& c) {
  if (c.node_after) {
    st.sched->upsert_node(*c.node_after);
    st.retry = true;
  } else if (c.node_before) {
    st.sched->remove_node(c.node_before->id());
    st.retry = true;
  }
  if (c.task_after || c.task_before)
    observe_task(st, c.task_after, c.task_before);
  if (c.cluster_after)
    st.strategy = c.cluster_after->spec().scheduler_strategy();
}

pb::StoreAction assign(const pb::Task& t, const decision& d, int64_t now_ns) {
  pb::StoreAction a;
  a.set_kind(pb::StoreAction::UPDATE);
  auto& x = *a.mutable_task() = t;
  if (!d.node_id.empty()) {
    x.set_node_id(d.node_id);
    x.mutable_status()->set_state(pb::ASSIGNED);
    x.mutable_status()->set_message("scheduler assigned task to node");
    x.mutable_status()->set_err("");
    x.mutable_status()->set_timestamp_ns(now_ns);
  } else {
    x.mutable_status()->set_err(d.explanation);
    x.mutable_status()->set_message("pending task scheduling");
  }
  return a;
}

// Places every pending task in one pass and proposes one batch: never one
// store write per task.
/// A pending task's stored explanation is rewritten at most this often:
/// every node that joins, leaves or changes state changes the explanation
/// of every pending task (counts, reasons), and 100k pending tasks would
/// mean 100k writes per node event (one 30 MB log entry per join).
constexpr int64_t explanation_refresh_ns = 10'000'000'000;

// Whether two explanations give the same reason. Node counts in them do
// not count: the stored count may lag until the reason itself changes.
bool same_reason(const std::string& x, const std::string& y) {
  auto strip = [](const std::string& s) {
    std::string out;
    for (char c : s)
      if (c < '0' || c > '9')
        out += c;
    return out;
  };
  return x == y || strip(x) == strip(y);
}

void run(scheduler_actor_t* self) {
  auto& st = self->state;
  if (st.in_flight || st.pending.empty() || !st.retry)
    return;
  st.retry = false;
  auto now = st.clk->now_ns();
  std::vector<const pb::Task*> xs;
  xs.reserve(st.pending.size());
  for (auto& [id, t] : st.pending)
    xs.push_back(&t);
  auto decisions = st.sched->schedule(xs, st.strategy, now);
  pb::StoreBatch batch;
  batch.set_proposed_at_ns(now);
  for (size_t i = 0; i < decisions.size(); ++i) {
    auto& t = *xs[i];
    auto& d = decisions[i];
    if (d.node_id.empty()
        && (same_reason(t.status().err(), d.explanation)
            || (!t.status().err().empty()
                && now - t.meta().updated_at_ns() < explanation_refresh_ns)))
      continue; // still unschedulable, explained recently: nothing to write
    *batch.add_actions() = assign(t, d, now);
  }
  if (batch.actions_size() == 0)
    return;
  st.in_flight = true;
  store::propose_then(self, st.store, std::move(batch), "scheduler", [=] {
    self->state.in_flight = false;
    run(self);
  });
}

scheduler_actor_type::behavior_type
scheduler_actor(scheduler_actor_t* self, store::store_actor_type store,
                node::clock* clk) {
  auto& st = self->state;
  st.store = store;
  st.clk = clk;
  store::subscribe(self, store, [=](const store_view_ptr& v) {
    auto& st = self->state;
    uint64_t seed = 0;
    if (auto c = v->cluster()) {
      seed = c->random_seed();
      st.strategy = c->spec().scheduler_strategy();
    }
    st.sched = std::make_unique<class scheduler>(seed);
    for (auto& [id, n] : v->nodes())
      st.sched->upsert_node(*n);
    for (auto& [id, t] : v->tasks())
      observe_task(st, t, nullptr);
    st.retry = true;
    run(self);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      for (auto& c : cs->changes)
        observe(self->state, c);
      if (!self->state.pending.empty())
        self->state.retry = true;
      run(self);
    },
  };
}

} // namespace

scheduler_actor_type spawn_scheduler(caf::actor_system& sys,
                                     const store::store_actor_type& store,
                                     node::clock& clk) {
  return sys.spawn(scheduler_actor, store, &clk);
}

} // namespace actorswarm::scheduler
