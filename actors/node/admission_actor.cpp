#include "actors/node/admission_actor.hpp"

#include <algorithm>
#include <chrono>

#include "caf/all.hpp"

#include "actors/ca/join_token.hpp"
#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/membership_steps.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "net/cluster_secrets.hpp"

namespace actorswarm::node {

namespace {

using store::store_timeout;

struct admission_state {
  store::store_actor_type store;
  net::cluster_transport_actor_type transport;
  clock* clk = nullptr;
  pb::JoinRequest req;
  std::string bytes;
  caf::typed_response_promise<std::string> rp;
  // Known once the token checked out.
  bool manager = false;
  pb::ConfState members;
  std::string cluster_id;
  // The joiner's certificate for the role its token grants, and our root.
  std::string certificate_pem;
  std::string root_ca_pem;
  static inline const char* name = "admission";
};

using admission_self = admission_actor_type::stateful_pointer<admission_state>;

void answer(admission_self self, std::string reply) {
  self->state.rp.deliver(std::move(reply));
  self->quit();
}

void refuse(admission_self self, const failure& f) {
  pb::JoinReply r;
  r.set_code(static_cast<uint32_t>(f.code));
  r.set_error(f.message);
  answer(self, r.SerializeAsString());
}

void admitted(admission_self self, const pb::ConfState& members) {
  pb::JoinReply r;
  r.set_cluster_id(self->state.cluster_id);
  r.set_manager(self->state.manager);
  r.set_certificate_pem(self->state.certificate_pem);
  r.set_root_ca_pem(self->state.root_ca_pem);
  for (const auto& m : members.voters())
    r.add_managers(m.addr());
  answer(self, r.SerializeAsString());
}

// The node object commits under the current membership; once a new member
// is in, commits need the joiner, which starts only after our answer.
void add_member_then_reply(admission_self self, bool is_member) {
  auto& st = self->state;
  if (is_member || !st.manager) {
    admitted(self, st.members);
    return;
  }
  logger("node")->info("adding manager node_id={} raft_id={} addr={}",
                       st.req.node_id(), st.req.raft_id(), st.req.addr());
  self->request(st.store, store_timeout, conf_atom::value, add_member(st.req))
    .then(
      [=](uint64_t) {
        auto after = self->state.members;
        *after.add_voters() = add_member(self->state.req).member();
        admitted(self, after);
      },
      [=](caf::error& err) { refuse(self, to_failure(err)); });
}

// The leader, once the token checked out: the node object first, then the
// member. A retry of a half-done join finds what is there and skips it.
void admit(admission_self self, const store_view_ptr& view, bool is_member) {
  auto& st = self->state;
  auto batch = joined_node_batch(st.req, st.manager, st.certificate_pem,
                                 st.clk->now_ns());
  if (auto n = view->nodes().find(st.req.node_id()); n != view->nodes().end()) {
    if (auto taken = node_id_taken(*n->second, st.req.public_key_pem(),
                                   net::openssl_secrets()))
      return refuse(self, *taken);
    // A worker promoted: the node object becomes a manager's.
    if (!st.manager || n->second->has_manager_status()) {
      add_member_then_reply(self, is_member);
      return;
    }
    batch = control::single_action(pb::StoreAction::UPDATE, st.clk->now_ns());
    auto& promoted = *batch.mutable_actions(0)->mutable_node();
    promoted = as_manager(*n->second, st.req.raft_id(), st.req.addr());
    promoted.set_certificate_pem(st.certificate_pem);
  } else if (auto c = view->cluster()) {
    // A node removed by `node rm` (its id keeps across `swarm leave`) and
    // admitted again with a valid token: no longer refused.
    const auto& gone = c->removed_nodes();
    if (std::find(gone.begin(), gone.end(), st.req.node_id()) != gone.end()) {
      auto* a = batch.add_actions();
      a->set_kind(pb::StoreAction::UPDATE);
      auto& x = *a->mutable_cluster();
      x = *c;
      x.clear_removed_nodes();
      for (const auto& id : gone)
        if (id != st.req.node_id())
          x.add_removed_nodes(id);
    }
  }
  self->request(st.store, store_timeout, propose_atom::value, batch)
    .then([=](uint64_t) { add_member_then_reply(self, is_member); },
          [=](caf::error& err) { refuse(self, to_failure(err)); });
}

void check(admission_self self, const raft::raft_status_ptr& status,
           const store_view_ptr& view) {
  auto& st = self->state;
  auto c = view->cluster();
  if (!c)
    return refuse(self, not_in_swarm());
  auto role = ca::check_token(*c, st.req.token());
  if (!role)
    return refuse(self, role.error());
  st.manager = *role == pb::NodeSpec::MANAGER;
  st.members = status->members;
  st.cluster_id = c->id();
  auto cert = issue_cert(*c, st.req.public_key_pem(), st.req.node_id(),
                         st.manager, net::openssl_secrets());
  if (!cert)
    return refuse(self, cert.error());
  st.certificate_pem = std::move(*cert);
  st.root_ca_pem = c->root_ca_cert_pem();
  bool is_member = false;
  for (const auto& m : status->members.voters()) {
    if (m.raft_id() == st.req.raft_id())
      is_member = true;
    else if (m.node_id() == st.req.node_id())
      return refuse(self, fail(errc::refused,
                               "node " + st.req.node_id()
                                 + " is still a manager of this swarm under "
                                   "another Raft id; remove it first (node "
                                   "demote / node rm)"));
  }
  admit(self, view, is_member);
}

// A follower passes the request on, unchanged, to the leader.
void forward(admission_self self, uint64_t lead) {
  self
    ->request(self->state.transport, std::chrono::milliseconds(join_timeout_ms),
              cluster_call_atom::value, lead,
              static_cast<int32_t>(pb::Envelope::JOIN), self->state.bytes)
    .then([=](std::string& r) { answer(self, std::move(r)); },
          [=](caf::error& err) { refuse(self, to_failure(err)); });
}

void on_status(admission_self self, const raft::raft_status_ptr& status) {
  if (status && status->is_leader)
    self->request(self->state.store, store_timeout, view_atom::value)
      .then([=](const store_view_ptr& v) { check(self, status, v); },
            [=](caf::error& err) { refuse(self, to_failure(err)); });
  else if (status && status->lead != 0)
    forward(self, status->lead);
  else
    refuse(self, no_leader());
}

admission_actor_type::behavior_type
admission_actor(admission_self self, store::store_actor_type store,
                net::cluster_transport_actor_type transport, clock* clk,
                pb::JoinRequest req, std::string bytes) {
  auto& st = self->state;
  st.store = std::move(store);
  st.transport = std::move(transport);
  st.clk = clk;
  st.req = std::move(req);
  st.bytes = std::move(bytes);
  return {
    [=](join_admit_atom) {
      self->state.rp = self->make_response_promise<std::string>();
      self->request(self->state.store, store_timeout, raft_status_atom::value)
        .then([=](const raft::raft_status_ptr& s) { on_status(self, s); },
              [=](caf::error& err) { refuse(self, to_failure(err)); });
      return self->state.rp;
    },
  };
}

} // namespace

admission_actor_type
spawn_admission(caf::local_actor* parent, store::store_actor_type store,
                net::cluster_transport_actor_type transport, clock& clk,
                pb::JoinRequest req, std::string bytes) {
  return parent->spawn<caf::linked>(admission_actor, std::move(store),
                                    std::move(transport), &clk, std::move(req),
                                    std::move(bytes));
}

} // namespace actorswarm::node
