#include "actors/control/control_actor.hpp"

#include <random>

#include "caf/all.hpp"

#include "actors/control/autolock.hpp"
#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "persistence/at_rest.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::control {

namespace {

using store::store_timeout;

struct control_state {
  requests_actor_type node;
  store::store_actor_type store;
  std::string node_id;
  store::object_store view;
  std::mt19937_64 gen{std::random_device{}()};
  node::clock* clk = nullptr;
  // This node's data dir, locked as the cluster's autolock says; null in
  // tests without one.
  persistence::data_dir* dir = nullptr;
  static inline const char* name = "control";
};

using control_actor_t = control_actor_type::stateful_pointer<control_state>;
using reply_t = caf::result<pb::ControlReply>;

// Unlock keys come from OpenSSL's CSPRNG here, never from the CLI or the
// rules' seeded generator: whatever a client put in these fields is
// overwritten.
void add_fresh_unlock_key(pb::ControlRequest& req) {
  auto fresh = [] {
    return persistence::at_rest::format_unlock_key(
      persistence::at_rest::random_key());
  };
  if (req.has_swarm_init()) {
    auto* x = req.mutable_swarm_init();
    x->set_fresh_unlock_key(x->autolock() ? fresh() : "");
  } else if (req.has_swarm_update()) {
    auto* x = req.mutable_swarm_update();
    x->set_fresh_unlock_key(x->set_autolock() && x->autolock() ? fresh() : "");
  } else if (req.has_unlock_key()) {
    auto* x = req.mutable_unlock_key();
    x->set_fresh_unlock_key(x->rotate() ? fresh() : "");
  }
}

// Brings this node's data dir in line with the cluster's autolock setting.
// A failure (IO) is retried with the next batch that touches the cluster.
void sync_data_dir(control_actor_t self) {
  auto& st = self->state;
  auto c = st.view.cluster();
  if (st.dir == nullptr || !c)
    return;
  if (auto ok = sync_autolock(*st.dir, *c); !ok)
    logger("control")->error("autolock: {}", ok.error().message);
}

// Proposes the write the rules decided; answers with its `ok` reply once the
// store accepted it, or with the store's refusal.
reply_t propose(control_actor_t self, write_decision d) {
  auto rp = self->make_response_promise<pb::ControlReply>();
  self
    ->request(self->state.store, store_timeout, propose_atom::value,
              std::move(d.batch))
    .then([rp, ok = std::move(d.ok)](uint64_t) mutable { rp.deliver(ok); },
          [rp](caf::error& err) mutable {
            rp.deliver(error_reply(to_failure(err)));
          });
  return rp;
}

reply_t write(control_actor_t self, const pb::ControlRequest& req) {
  auto& st = self->state;
  auto d = decide_write(st.view, req, st.node_id, st.gen, st.clk->now_ns());
  if (!d)
    return error_reply(d.error());
  return propose(self, std::move(*d));
}

// A read is linearizable (ReadIndex: answered once this replica applied
// what the leader had committed when the read arrived); without a leader it
// answers from this manager's last known state, with a warning. Only node
// lists show the live Raft view, so only they ask for it.
reply_t linearizable_read(control_actor_t self, pb::ControlRequest req) {
  auto rp = self->make_response_promise<pb::ControlReply>();
  auto store = self->state.store;
  auto answer = [=](bool fresh, const raft::raft_status_ptr& status) mutable {
    auto r = answer_read(self->state.view, req, self->state.node_id);
    finish_read(r, fresh, status.get());
    rp.deliver(std::move(r));
  };
  bool nodes = shows_raft_status(req);
  self->request(store, store_timeout, read_atom::value)
    .then(
      [=](bool fresh) mutable {
        if (!nodes) {
          answer(fresh, nullptr);
          return;
        }
        self->request(store, store_timeout, raft_status_atom::value)
          .then(
            [=](const raft::raft_status_ptr& s) mutable { answer(fresh, s); },
            [=](caf::error&) mutable { answer(fresh, nullptr); });
      },
      [=](caf::error&) mutable { answer(false, nullptr); });
  return rp;
}

// `info` as the node actor answered it, plus the view's counts and the
// raft peer's live view, delivered to `rp`.
void complete_info(control_actor_t self, pb::ControlReply r,
                   caf::response_promise rp) {
  auto& st = self->state;
  add_counts(*r.mutable_info(), st.view);
  self->request(st.store, store_timeout, raft_status_atom::value)
    .then(
      [=](const raft::raft_status_ptr& s) mutable {
        add_raft_info(*r.mutable_info(), *s, self->state.view.applied_index());
        rp.deliver(std::move(r));
      },
      [=](caf::error&) mutable { rp.deliver(std::move(r)); });
}

// Membership requests go to the node actor, which owns identity.
reply_t membership(control_actor_t self, const pb::ControlRequest& req) {
  auto rp = self->make_response_promise<pb::ControlReply>();
  // `swarm init --autolock` prints the key the new cluster holds.
  auto key = req.has_swarm_init() ? req.swarm_init().fresh_unlock_key() : "";
  self->request(self->state.node, store_timeout, control_atom::value, req)
    .then(
      [=](pb::ControlReply& r) mutable {
        if (r.code() == 0 && !key.empty())
          r.set_unlock_key(key);
        if (!r.has_info() || !self->state.store)
          rp.deliver(std::move(r));
        else
          complete_info(self, std::move(r), rp);
      },
      [=](caf::error& err) mutable {
        rp.deliver(error_reply(to_failure(err)));
      });
  return rp;
}

// The node became a manager (a store) or left its swarm (no store).
void set_manager(control_actor_t self, store::store_actor_type store,
                 std::string node_id) {
  auto& st = self->state;
  st.store = store;
  st.node_id = std::move(node_id);
  if (!store) {
    // The dir stays as it is: components also stop for a role switch or
    // --force-new-cluster. A node that left or was demoted had its Raft
    // data cleared, and a cleared dir opens unlocked (data_dir.hpp).
    st.view = store::object_store{};
    return;
  }
  self
    ->request(store, caf::infinite, subscribe_atom::value,
              store::subscriber_actor_type{self})
    .await([=](const store_view_ptr& v) {
      self->state.view = *v;
      sync_data_dir(self);
    });
}

control_actor_type::behavior_type control_actor(control_actor_t self,
                                                requests_actor_type node,
                                                node::clock* clk,
                                                persistence::data_dir* dir) {
  self->state.node = std::move(node);
  self->state.clk = clk;
  self->state.dir = dir;
  return {
    [=](control_atom, pb::ControlRequest& req) -> reply_t {
      add_fresh_unlock_key(req);
      if (is_membership(req))
        return membership(self, req);
      if (!self->state.store)
        return not_manager_reply();
      if (is_read(req))
        return linearizable_read(self, std::move(req));
      return write(self, req);
    },
    [=](manager_atom, store::store_actor_type& store, std::string& node_id) {
      set_manager(self, std::move(store), std::move(node_id));
    },
    [=](events_atom, const store::change_set_ptr& cs) {
      self->state.view.apply_changes(*cs);
      sync_data_dir(self);
    },
  };
}

} // namespace

control_actor_type spawn_control(caf::actor_system& sys,
                                 requests_actor_type node, node::clock& clk,
                                 persistence::data_dir* dir) {
  return sys.spawn(control_actor, std::move(node), &clk, dir);
}

} // namespace actorswarm::control
