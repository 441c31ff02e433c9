#include "actors/node/manager_status_actor.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "caf/all.hpp"

#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"

namespace actorswarm::node {

namespace {

using store::store_timeout;

struct manager_status_state {
  store::store_actor_type store;
  clock* clk = nullptr;
  // Since when each manager has been unreachable.
  unreachable_map since;
  static inline const char* name = "manager_status";
};

using status_self
  = manager_status_actor_type::stateful_pointer<manager_status_state>;

void next_round(status_self self) {
  self->delayed_send(self, std::chrono::milliseconds(manager_status_period_ms),
                     status_publish_atom_v);
}

// The leader's view against the stored nodes: store what differs.
void publish(status_self self, const raft::raft_status& s,
             const store_view_ptr& v) {
  auto& st = self->state;
  std::vector<std::shared_ptr<const pb::Node>> nodes;
  for (const auto& [id, n] : v->nodes())
    nodes.push_back(n);
  auto now = st.clk->now_ns();
  auto xs = manager_status_updates(nodes, s, st.since, now,
                                   manager_down_after_ns(v->cluster().get()));
  if (xs.empty()) {
    next_round(self);
    return;
  }
  self
    ->request(st.store, store_timeout, propose_atom::value,
              node_updates(std::move(xs), now))
    .then([=](uint64_t) { next_round(self); },
          [=](caf::error&) { next_round(self); });
}

void on_status(status_self self, const raft::raft_status_ptr& s) {
  if (!s || !s->is_leader)
    return; // stepped down: the node stops this actor
  self->request(self->state.store, store_timeout, view_atom::value)
    .then([=](const store_view_ptr& v) { publish(self, *s, v); },
          [=](caf::error&) { next_round(self); });
}

manager_status_actor_type::behavior_type
manager_status_actor(status_self self, store::store_actor_type store,
                     clock* clk) {
  self->state.store = std::move(store);
  self->state.clk = clk;
  self->send(self, status_publish_atom_v);
  return {
    [=](status_publish_atom) {
      self->request(self->state.store, store_timeout, raft_status_atom::value)
        .then([=](const raft::raft_status_ptr& s) { on_status(self, s); },
              [=](caf::error&) { next_round(self); });
    },
  };
}

} // namespace

manager_status_actor_type spawn_manager_status(caf::local_actor* parent,
                                               store::store_actor_type store,
                                               clock& clk) {
  return parent->spawn<caf::linked>(manager_status_actor, std::move(store),
                                    &clk);
}

} // namespace actorswarm::node
