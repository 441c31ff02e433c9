#include "actors/node/revoke_watch_actor.hpp"

#include <string>
#include <vector>

#include "caf/all.hpp"

namespace actorswarm::node {

namespace {

struct revoke_watch_state {
  net::cluster_transport_actor_type transport;
  std::vector<std::string> sent;
  // The first list is sent even when empty (the transport may still hold
  // one of an earlier start of this manager's components).
  bool told = false;
  static inline const char* name = "revoke_watch";
};

using watch_self
  = revoke_watch_actor_type::stateful_pointer<revoke_watch_state>;

void tell(watch_self self, const pb::Cluster& c) {
  std::vector<std::string> ids(c.removed_nodes().begin(),
                               c.removed_nodes().end());
  if (self->state.told && ids == self->state.sent)
    return;
  self->state.told = true;
  self->state.sent = ids;
  self->send(self->state.transport, cluster_revoke_atom::value, std::move(ids));
}

revoke_watch_actor_type::behavior_type
revoke_watch_actor(watch_self self, store::store_actor_type store,
                   net::cluster_transport_actor_type transport) {
  self->state.transport = std::move(transport);
  self->link_to(store);
  store::subscribe(self, store, [=](const store_view_ptr& v) {
    if (auto c = v ? v->cluster() : nullptr)
      tell(self, *c);
  });
  return {
    [=](events_atom, const store::change_set_ptr& cs) {
      for (const auto& ch : cs->changes)
        if (ch.cluster_after)
          tell(self, *ch.cluster_after);
    },
  };
}

} // namespace

revoke_watch_actor_type
spawn_revoke_watch(caf::actor_system& sys, store::store_actor_type store,
                   net::cluster_transport_actor_type transport) {
  return sys.spawn(revoke_watch_actor, std::move(store), std::move(transport));
}

} // namespace actorswarm::node
