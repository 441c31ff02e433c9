#include "actors/allocator/allocator_actor.hpp"

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::allocator {

namespace {

struct allocator_state {
  store::store_actor_type store;
  node::clock* clk = nullptr;
  std::map<std::string, pb::Task> fresh; // NEW tasks, by id
  bool in_flight = false;
  static inline const char* name = "allocator";
};

using allocator_actor_t = allocator_actor_type::stateful_base<allocator_state>;

void note(allocator_state& st, const store::object_ptr<pb::Task>& t,
          const store::object_ptr<pb::Task>& before) {
  if (t && t->status().state() == pb::NEW)
    st.fresh[t->id()] = *t;
  else
    st.fresh.erase(t ? t->id() : before->id());
}

// Moves every NEW task to PENDING in one batch (no networks to allocate yet).
void run(allocator_actor_t* self) {
  auto& st = self->state;
  if (st.in_flight || st.fresh.empty())
    return;
  auto now = st.clk->now_ns();
  pb::StoreBatch batch;
  batch.set_proposed_at_ns(now);
  for (auto& [id, t] : st.fresh) {
    auto* a = batch.add_actions();
    a->set_kind(pb::StoreAction::UPDATE);
    auto& x = *a->mutable_task() = t;
    x.mutable_status()->set_state(pb::PENDING);
    x.mutable_status()->set_message("pending task scheduling");
    x.mutable_status()->set_timestamp_ns(now);
  }
  st.fresh.clear();
  st.in_flight = true;
  store::propose_then(self, st.store, std::move(batch), "allocator", [=] {
    self->state.in_flight = false;
    run(self);
  });
}

allocator_actor_type::behavior_type
allocator_actor(allocator_actor_t* self, store::store_actor_type store,
                node::clock* clk) {
  self->state.store = store;
  self->state.clk = clk;
  store::subscribe(self, store, [=](const store_view_ptr& v) {
    for (auto& [id, t] : v->tasks())
      note(self->state, t, nullptr);
    run(self);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      for (auto& c : cs->changes)
        if (c.task_after || c.task_before)
          note(self->state, c.task_after, c.task_before);
      run(self);
    },
  };
}

} // namespace

allocator_actor_type spawn_allocator(caf::actor_system& sys,
                                     const store::store_actor_type& store,
                                     node::clock& clk) {
  return sys.spawn(allocator_actor, store, &clk);
}

} // namespace actorswarm::allocator
