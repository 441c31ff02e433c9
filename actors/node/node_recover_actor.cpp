// `swarm init --force-new-cluster` (node_state_actor.hpp): a manager that
// survived the loss of its quorum becomes the only manager of its swarm,
// keeping every node, service and task it knows. The components stop (the
// task processes keep running), the Raft state is rewritten as a one-member
// group at this manager's applied index (raft/force_new_cluster.hpp), and
// the components start again; the agent adopts its running tasks as after a
// daemon restart.

#include "actors/control/control_logic.hpp"
#include "actors/node/node_state_actor.hpp"
#include "actors/raft/force_new_cluster.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

// The components are down: rewrite the Raft state, start again, answer.
void rebuild(node_actor_t* self, const store_view_ptr& view,
             caf::response_promise rp) {
  auto& st = self->state;
  auto applied = view->applied_index();
  auto state = view->snapshot().SerializeAsString();
  auto meta = raft::force_new_cluster(st.dir->log(), st.dir->snapshots(),
                                      state, applied, self_member(st.id));
  if (!meta) {
    // Nothing was rewritten (or a repeat is safe): run on as before.
    logger("node")->error("force-new-cluster failed: {}",
                          meta.error().message);
    start_components(self);
    rp.deliver(error_reply(meta.error()));
    return;
  }
  // From now on this node is the group's founder: a restart must not wait
  // for a leader's log.
  st.id.joined = false;
  save_identity(st.dir->node_state(), st.id);
  logger("node")->warn("forced a new cluster: one manager raft_id={} at "
                       "index={} term={}", st.id.raft_id, applied,
                       meta->term());
  start_components(self);
  rp.deliver(init_reply(*view->cluster(), st.id));
}

} // namespace

reply_t force_new_cluster(node_actor_t* self, const pb::SwarmInitRequest&) {
  auto& st = self->state;
  if (st.leaving || st.joining || st.on_stopped || !st.store)
    return error_reply(fail(errc::refused, "this node is busy joining, "
                                           "leaving or restarting its "
                                           "components"));
  auto rp = self->make_response_promise();
  self->request(st.store, store_timeout, view_atom::value)
    .then(
      [=](const store_view_ptr& view) mutable {
        if (!view->cluster()) {
          rp.deliver(error_reply(fail(
            errc::refused, "this manager has no cluster object yet (it never "
                           "caught up with its swarm); it cannot rebuild one")));
          return;
        }
        stop_components(self, [=]() mutable { rebuild(self, view, rp); });
      },
      [=](caf::error& err) mutable {
        rp.deliver(error_reply(to_failure(err)));
      });
  return caf::delegated<pb::ControlReply>{};
}

} // namespace actorswarm::node
