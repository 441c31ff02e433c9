#include "actors/node/role_change_actor.hpp"

#include <algorithm>
#include <chrono>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/membership_steps.hpp"
#include "actors/raft/conf_change.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "net/cluster_secrets.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

using store::store_timeout;

struct role_change_state {
  store::store_actor_type store;
  net::cluster_transport_actor_type transport;
  clock* clk = nullptr;
  pb::ControlRequest req;
  caf::typed_response_promise<pb::ControlReply> rp;
  // A leadership transfer away from this manager: its Raft id, polls so far.
  uint64_t me = 0;
  int polls = 0;
  static inline const char* name = "role_change";
};

using role_self = role_change_actor_type::stateful_pointer<role_change_state>;

void answer(role_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

void refuse(role_self self, const failure& f) {
  answer(self, error_reply(f));
}

auto refuse_with(role_self self) {
  return [=](caf::error& err) { refuse(self, to_failure(err)); };
}

// Sends a request of `kind` to `to` (a Raft id or an address) over the
// cluster port; `then` gets the ControlReply it answers with, or why none.
template <class Dest, class F>
void call_node(role_self self, Dest to, pb::Envelope::Kind kind,
               std::string payload, std::string who, F then) {
  self
    ->request(self->state.transport, std::chrono::milliseconds(role_timeout_ms),
              cluster_call_atom::value, to, static_cast<int32_t>(kind),
              std::move(payload))
    .then(
      [=](const std::string& bytes) {
        pb::ControlReply r;
        if (!r.ParseFromString(bytes))
          r = error_reply(fail(errc::internal, "malformed reply"));
        then(std::move(r));
      },
      [=](caf::error& err) {
        then(error_reply(fail(errc::unavailable, who + " could not be reached: "
                                                   + to_failure(err).message)));
      });
}

void forward_to_leader(role_self self, uint64_t lead) {
  call_node(self, lead, pb::Envelope::CONTROL,
            self->state.req.SerializeAsString(), "the leader",
            [=](pb::ControlReply r) { answer(self, std::move(r)); });
}

// Tells the node at `addr` its new role (best effort: a node that is down
// learns it at restart from no one; it stays out of the group regardless).
void tell_role(role_self self, const std::string& addr,
               const pb::RoleChange& rc) {
  call_node(self, addr, pb::Envelope::ROLE, rc.SerializeAsString(),
            "node at " + addr, [](pb::ControlReply) {});
}

void propose_then_answer(role_self self, pb::StoreAction::Kind kind,
                         const pb::Node& n, std::function<void()> before) {
  auto b = control::single_action(kind, self->state.clk->now_ns());
  *b.mutable_actions(0)->mutable_node() = n;
  self->request(self->state.store, store_timeout, propose_atom::value, b)
    .then(
      [=](uint64_t) {
        if (before)
          before();
        answer(self, pb::ControlReply{});
      },
      refuse_with(self));
}

// The leader demotes itself: hand leadership to a reachable manager, then
// poll until another manager leads and ask it to demote this one.
void transfer(role_self self, const raft::raft_status& s) {
  auto to = transfer_target(s);
  self->state.me = s.raft_id;
  logger("node")->info("transferring leadership to raft_id={} before "
                       "demoting this manager",
                       to);
  self->request(self->state.store, store_timeout, transfer_atom::value, to)
    .then(
      [=](bool) {
        self->delayed_send(self, std::chrono::milliseconds(transfer_poll_ms),
                           transfer_poll_atom_v);
      },
      refuse_with(self));
}

void on_transfer_status(role_self self, const raft::raft_status_ptr& now) {
  auto& st = self->state;
  switch (after_status(now->lead, st.me, st.polls)) {
    case transfer_step::forward:
      self->delayed_send(self,
                         std::chrono::milliseconds(settle_after_transfer_ms),
                         transfer_settled_atom_v, now->lead);
      break;
    case transfer_step::give_up:
      refuse(self, transfer_timeout());
      break;
    case transfer_step::poll_again:
      ++st.polls;
      self->delayed_send(self, std::chrono::milliseconds(transfer_poll_ms),
                         transfer_poll_atom_v);
      break;
  }
}

void demote(role_self self, const raft::raft_status& s, pb::Node node,
            const pb::Cluster& c) {
  auto target = node.manager_status().raft_id();
  if (auto refusal = removal_refusal(s, target, "demote"))
    return refuse(self, *refusal);
  if (target == s.raft_id)
    return transfer(self, s);
  pb::RoleChange rc;
  for (const auto& m : s.members.voters())
    if (m.raft_id() != target)
      rc.add_managers(m.addr());
  auto addr = node.status().addr();
  auto demoted = as_worker(node);
  // From now on the node presents a worker's certificate: the leader signs
  // one for the key of its current one.
  auto secrets = net::openssl_secrets();
  if (auto pub = secrets.public_key_of(node.certificate_pem()); pub)
    if (auto cert = issue_cert(c, *pub, node.id(), false, secrets); cert) {
      rc.set_certificate_pem(*cert);
      demoted.set_certificate_pem(*cert);
    }
  if (self->state.req.node_role().leaving()) {
    demoted.mutable_status()->set_state(pb::NodeStatus::DOWN);
    demoted.mutable_status()->set_message("node left the swarm");
  }
  auto finish = [=] {
    propose_then_answer(self, pb::StoreAction::UPDATE, demoted,
                        [=] { tell_role(self, addr, rc); });
  };
  if (!raft::is_voter(s.members, target))
    return finish();
  logger("node")->info("removing manager raft_id={} node_id={}", target,
                       node.id());
  pb::ConfChange cc;
  cc.set_type(pb::ConfChange::REMOVE_NODE);
  cc.mutable_member()->set_raft_id(target);
  self->request(self->state.store, store_timeout, conf_atom::value, cc)
    .then([=](uint64_t) { finish(); }, refuse_with(self));
}

void promote(role_self self, const raft::raft_status& s, const pb::Node& n,
             const pb::Cluster& c) {
  if (n.status().state() == pb::NodeStatus::DOWN)
    return refuse(self, fail(errc::refused, "node " + n.id()
                                              + " is down; it cannot be "
                                                "promoted"));
  pb::RoleChange rc;
  rc.set_manager(true);
  rc.set_token(c.join_tokens().manager());
  for (const auto& m : s.members.voters())
    rc.add_managers(m.addr());
  call_node(self, n.status().addr(), pb::Envelope::ROLE, rc.SerializeAsString(),
            "node at " + n.status().addr(),
            [=](pb::ControlReply r) { answer(self, std::move(r)); });
}

// Removes the node and, in the same atomic batch, records its id in the
// cluster's removed_nodes: every manager's cluster port refuses its
// certificate from then on (SwarmKit's RemovedNode), so a removed node that
// still runs cannot come back with its old credentials.
void remove(role_self self, const pb::Node& n, const pb::Cluster* cluster) {
  if (auto refusal = remove_refusal(n, self->state.req.node_remove().force()))
    return refuse(self, *refusal);
  auto b = control::single_action(pb::StoreAction::REMOVE,
                                  self->state.clk->now_ns());
  b.mutable_actions(0)->mutable_node()->set_id(n.id());
  if (cluster) {
    const auto& ids = cluster->removed_nodes();
    if (std::find(ids.begin(), ids.end(), n.id()) == ids.end()) {
      auto* a = b.add_actions();
      a->set_kind(pb::StoreAction::UPDATE);
      *a->mutable_cluster() = *cluster;
      a->mutable_cluster()->add_removed_nodes(n.id());
      b.set_atomic(true);
    }
  }
  self->request(self->state.store, store_timeout, propose_atom::value, b)
    .then([=](uint64_t) { answer(self, pb::ControlReply{}); },
          refuse_with(self));
}

// On the leader, with its live Raft view and store view.
void at_leader(role_self self, const raft::raft_status_ptr& s,
               const store_view_ptr& v) {
  const auto& req = self->state.req;
  bool rm = req.has_node_remove() && req.node_remove().refs_size() > 0;
  auto n = control::find_node(*v, rm ? req.node_remove().refs(0)
                                     : req.node_role().refs(0));
  if (!n)
    return refuse(self, n.error());
  if (rm) {
    auto cl = v->cluster();
    return remove(self, **n, cl ? cl.get() : nullptr);
  }
  bool manager = (*n)->has_manager_status();
  if (req.node_role().role() == pb::NodeSpec::MANAGER)
    return manager ? answer(self, {}) : promote(self, *s, **n, *v->cluster());
  return manager ? demote(self, *s, **n, *v->cluster()) : answer(self, {});
}

void on_status(role_self self, const raft::raft_status_ptr& s) {
  if (s && s->is_leader)
    self->request(self->state.store, store_timeout, view_atom::value)
      .then([=](const store_view_ptr& v) { at_leader(self, s, v); },
            refuse_with(self));
  else if (s && s->lead != 0 && self->state.transport)
    forward_to_leader(self, s->lead);
  else
    refuse(self, no_leader());
}

role_change_actor_type::behavior_type
role_change_actor(role_self self, store::store_actor_type store,
                  net::cluster_transport_actor_type transport, clock* clk,
                  pb::ControlRequest req) {
  auto& st = self->state;
  st.store = std::move(store);
  st.transport = std::move(transport);
  st.clk = clk;
  st.req = std::move(req);
  return {
    [=](role_change_atom) {
      auto& st = self->state;
      st.rp = self->make_response_promise<pb::ControlReply>();
      bool role = st.req.has_node_role() && st.req.node_role().refs_size() > 0;
      bool rm = st.req.has_node_remove()
                && st.req.node_remove().refs_size() > 0;
      if (!role && !rm)
        refuse(self, fail(errc::bad_request, "not a membership change"));
      else
        self->request(st.store, store_timeout, raft_status_atom::value)
          .then([=](const raft::raft_status_ptr& s) { on_status(self, s); },
                refuse_with(self));
      return st.rp;
    },
    [=](transfer_poll_atom) {
      self->request(self->state.store, store_timeout, raft_status_atom::value)
        .then(
          [=](const raft::raft_status_ptr& s) { on_transfer_status(self, s); },
          refuse_with(self));
    },
    [=](transfer_settled_atom, uint64_t lead) {
      forward_to_leader(self, lead);
    },
  };
}

} // namespace

role_change_actor_type
spawn_role_change(caf::local_actor* parent, store::store_actor_type store,
                  net::cluster_transport_actor_type transport, clock& clk,
                  pb::ControlRequest req) {
  return parent->spawn<caf::linked>(role_change_actor, std::move(store),
                                    std::move(transport), &clk, std::move(req));
}

} // namespace actorswarm::node
