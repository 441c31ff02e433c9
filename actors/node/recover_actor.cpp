#include "actors/node/recover_actor.hpp"

#include <chrono>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/raft/force_new_cluster.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

/// How long the recovery waits on the store.
constexpr auto store_timeout = std::chrono::seconds(30);

struct recover_state {
  caf::actor store;
  recover_node_type node;
  persistence::data_dir* dir = nullptr;
  identity id;
  caf::typed_response_promise<pb::ControlReply> rp;
  static inline const char* name = "recover";
};

using recover_self = recover_actor_type::stateful_pointer<recover_state>;

void answer(recover_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

// The components are down: rewrite the Raft state.
void rebuild(recover_self self, const store_view_ptr& view) {
  auto& st = self->state;
  auto applied = view->applied_index();
  auto state = view->snapshot().SerializeAsString();
  auto meta = raft::force_new_cluster(st.dir->log(), st.dir->snapshots(),
                                      state, applied, self_member(st.id));
  if (!meta) {
    // Nothing was rewritten (or a repeat is safe): run on as before.
    logger("node")->error("force-new-cluster failed: {}",
                          meta.error().message);
    auto failed = error_reply(meta.error());
    self->request(st.node, caf::infinite, components_start_atom_v)
      .then([=](bool) { answer(self, failed); },
            [=](caf::error&) { answer(self, failed); });
    return;
  }
  logger("node")->warn("forced a new cluster: one manager raft_id={} at "
                       "index={} term={}", st.id.raft_id, applied,
                       meta->term());
  answer(self, init_reply(*view->cluster(), st.id));
}

void on_view(recover_self self, const store_view_ptr& view) {
  if (!view->cluster()) {
    answer(self, error_reply(fail(errc::refused,
                                  "this manager has no cluster object yet (it "
                                  "never caught up with its swarm); it cannot "
                                  "rebuild one")));
    return;
  }
  self->request(self->state.node, caf::infinite, components_stop_atom_v)
    .then([=](bool) { rebuild(self, view); },
          [=](caf::error& err) { answer(self, error_reply(to_failure(err))); });
}

recover_actor_type::behavior_type
recover_actor(recover_self self, caf::actor store, recover_node_type node,
              persistence::data_dir* dir, identity id) {
  auto& st = self->state;
  st.store = std::move(store);
  st.node = std::move(node);
  st.dir = dir;
  st.id = std::move(id);
  return {
    [=](force_new_cluster_atom) {
      self->state.rp = self->make_response_promise<pb::ControlReply>();
      self->request(self->state.store, store_timeout, view_atom::value)
        .then([=](const store_view_ptr& v) { on_view(self, v); },
              [=](caf::error& err) {
                answer(self, error_reply(to_failure(err)));
              });
      return self->state.rp;
    },
  };
}

} // namespace

recover_actor_type spawn_recover(caf::local_actor* parent, caf::actor store,
                                 recover_node_type node,
                                 persistence::data_dir& dir, identity id) {
  return parent->spawn<caf::linked>(recover_actor, std::move(store),
                                    std::move(node), &dir, std::move(id));
}

} // namespace actorswarm::node
