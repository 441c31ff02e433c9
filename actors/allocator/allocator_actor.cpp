#include "actors/allocator/allocator_actor.hpp"

#include "caf/all.hpp"

#include "actors/allocator/allocator_core.hpp"
#include "actors/node/clock.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::allocator {

namespace {

struct allocator_state {
  store::store_actor_type store;
  node::clock* clk = nullptr;
  allocator_core core;
  bool in_flight = false;
  static inline const char* name = "allocator";
};

using allocator_actor_t = allocator_actor_type::stateful_base<allocator_state>;

void log_warnings(allocator_state& st) {
  for (auto& line : st.core.take_warnings())
    logger("allocator")->warn("{}", line);
}

// Proposes the next batch (networks, endpoints, new tasks' addresses and
// their move to PENDING; or nodes' ingress addresses), one at a time: the next
// waits for this one's answer, whose changes arrive before it as events.
void run(allocator_actor_t* self) {
  auto& st = self->state;
  if (st.in_flight)
    return;
  auto batch = st.core.next_batch(st.clk->now_ns());
  log_warnings(st);
  if (!batch)
    return;
  st.in_flight = true;
  store::propose_then(self, st.store, std::move(*batch), "allocator", [=] {
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
    // A new leader: rebuild from the store before allocating anything, so
    // nothing is handed out twice across a failover.
    for (auto& line : self->state.core.restore(*v))
      logger("allocator")->warn("restore conflict: {}", line);
    run(self);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      for (auto& c : cs->changes)
        self->state.core.note(c);
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
