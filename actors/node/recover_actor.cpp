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

using store::store_timeout;

struct recover_state {
  recover_config cfg;
  caf::typed_response_promise<pb::ControlReply> rp;
  static inline const char* name = "recover";
};

using recover_self = recover_actor_type::stateful_pointer<recover_state>;

void answer(recover_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

// Starts the components again, then answers `r`.
void start_then_answer(recover_self self, pb::ControlReply r) {
  self->request(self->state.cfg.node, caf::infinite, components_start_atom_v)
    .then([=](bool) { answer(self, r); },
          [=](caf::error&) { answer(self, r); });
}

// The components are down: rewrite the Raft state.
void rebuild(recover_self self, const store_view_ptr& view) {
  auto& cfg = self->state.cfg;
  auto applied = view->applied_index();
  auto state = view->snapshot().SerializeAsString();
  auto forced = raft::force_new_cluster(cfg.dir->log(), cfg.dir->snapshots(),
                                        state, applied, self_member(cfg.id));
  if (!forced) {
    // Nothing was rewritten (or a repeat is safe): run on as before.
    logger("node")->error("force-new-cluster failed: {}",
                          forced.error().message);
    start_then_answer(self, error_reply(forced.error()));
    return;
  }
  logger("node")->warn("forced a new cluster: one manager raft_id={} "
                       "applied={} committed entries kept up to index={} "
                       "term={}",
                       cfg.id.raft_id, applied, forced->kept_commit,
                       forced->term);
  auto ok = init_reply(*view->cluster(), cfg.id);
  self->request(cfg.membership, caf::infinite, node_founded_atom_v)
    .then([=](bool) { start_then_answer(self, ok); },
          [=](caf::error& err) {
            start_then_answer(self, error_reply(to_failure(err)));
          });
}

void on_view(recover_self self, const store_view_ptr& view) {
  if (!view->cluster()) {
    answer(self, error_reply(fail(errc::refused,
                                  "this manager has no cluster object yet (it "
                                  "never caught up with its swarm); it cannot "
                                  "rebuild one")));
    return;
  }
  self->request(self->state.cfg.node, caf::infinite, components_stop_atom_v)
    .then([=](bool) { rebuild(self, view); },
          [=](caf::error& err) { answer(self, error_reply(to_failure(err))); });
}

recover_actor_type::behavior_type recover_actor(recover_self self,
                                                recover_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](force_new_cluster_atom) {
      self->state.rp = self->make_response_promise<pb::ControlReply>();
      self->request(self->state.cfg.store, store_timeout, view_atom::value)
        .then([=](const store_view_ptr& v) { on_view(self, v); },
              [=](caf::error& err) {
                answer(self, error_reply(to_failure(err)));
              });
      return self->state.rp;
    },
  };
}

} // namespace

recover_actor_type spawn_recover(caf::local_actor* parent, recover_config cfg) {
  return parent->spawn<caf::linked>(recover_actor, std::move(cfg));
}

} // namespace actorswarm::node
