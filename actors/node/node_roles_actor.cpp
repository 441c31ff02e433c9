// `node promote|demote|rm` and a manager's removal at `swarm leave`
// (node_state_actor.hpp). Membership changes run on the leader: a follower
// forwards the request (CONTROL). The leader changes the Raft group and the
// node object, then tells the node (ROLE): a promoted worker joins the
// Raft group with the manager token and starts the manager components; a
// demoted manager stops them, forgets its Raft state and continues as a
// worker of the remaining managers. Its tasks keep running throughout.

#include "actors/control/control_logic.hpp"
#include "actors/node/node_state_actor.hpp"
#include "actors/raft/conf_change.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;
using here_fn = std::function<void(const raft::raft_status_ptr&,
                                   const store_view_ptr&)>;

constexpr auto role_timeout = std::chrono::seconds(20);
constexpr auto transfer_poll = std::chrono::milliseconds(100);
constexpr int transfer_polls = 50;
constexpr auto settle_after_transfer = std::chrono::milliseconds(300);

pb::ControlReply ok_reply() {
  return pb::ControlReply{};
}

// Sends a request of `kind` to `to` (a Raft id or an address) over the
// cluster port; `done` gets the ControlReply it answers with, or why none.
template <class Dest>
void call_node(node_actor_t* self, Dest to, pb::Envelope::Kind kind,
               std::string payload, std::string who, done_fn done) {
  self
    ->request(self->state.transport, role_timeout, cluster_call_atom::value,
              to,
              static_cast<int32_t>(kind), std::move(payload))
    .then(
      [=](const std::string& bytes) {
        pb::ControlReply r;
        if (!r.ParseFromString(bytes))
          r = error_reply(fail(errc::internal, "malformed reply"));
        done(std::move(r));
      },
      [=](caf::error& err) {
        done(error_reply(fail(errc::unavailable,
                              who + " could not be reached: "
                                + to_failure(err).message)));
      });
}

void forward_to(node_actor_t* self, uint64_t lead,
                const pb::ControlRequest& req, done_fn done) {
  call_node(self, lead, pb::Envelope::CONTROL, req.SerializeAsString(),
            "the leader", std::move(done));
}

// Runs `here` on the leader with its live status and view; a follower
// passes `req` on to the leader and hands its answer to `done`.
void at_leader(node_actor_t* self, const pb::ControlRequest& req, done_fn done,
               here_fn here) {
  auto fail_with = [=](caf::error& err) { done(error_reply(to_failure(err))); };
  self->request(self->state.store, store_timeout, raft_status_atom::value)
    .then(
      [=](const raft::raft_status_ptr& s) {
        if (s && s->is_leader)
          self->request(self->state.store, store_timeout, view_atom::value)
            .then([=](const store_view_ptr& v) { here(s, v); }, fail_with);
        else if (s && s->lead != 0 && self->state.transport)
          forward_to(self, s->lead, req, done);
        else
          done(error_reply(no_leader()));
      },
      fail_with);
}

void propose_then(node_actor_t* self, pb::StoreBatch b, done_fn done,
                  std::function<void()> next) {
  self->request(self->state.store, store_timeout, propose_atom::value, b)
    .then([=](uint64_t) { next(); },
          [=](caf::error& err) { done(error_reply(to_failure(err))); });
}

pb::StoreBatch node_batch(node_actor_t* self, pb::StoreAction::Kind kind,
                          const pb::Node& n) {
  auto b = control::single_action(kind, self->state.clk->now_ns());
  *b.mutable_actions(0)->mutable_node() = n;
  return b;
}

// Tells the node at `addr` its new role; `done` gets its answer.
void tell_role(node_actor_t* self, const std::string& addr,
               const pb::RoleChange& rc, done_fn done) {
  call_node(self, addr, pb::Envelope::ROLE, rc.SerializeAsString(),
            "node at " + addr, std::move(done));
}

// Polls until leadership moved away from `me`, then forwards `req` to the
// new leader; at most transfer_polls times.
void forward_after_transfer(node_actor_t* self, const pb::ControlRequest& req,
                            uint64_t me, done_fn done, int n) {
  self->request(self->state.store, store_timeout, raft_status_atom::value)
    .then(
      [=](const raft::raft_status_ptr& now) {
        if (now->lead != 0 && now->lead != me)
          // The new leader hears from every manager within a heartbeat or
          // two; until then it would count them unreachable.
          after(self, settle_after_transfer,
                [=] { forward_to(self, now->lead, req, done); });
        else if (n >= transfer_polls)
          done(error_reply(fail(errc::timeout, "leadership transfer did not "
                                               "complete; try again")));
        else
          after(self, transfer_poll, [=] {
            forward_after_transfer(self, req, me, done, n + 1);
          });
      },
      [=](caf::error& err) { done(error_reply(to_failure(err))); });
}

// The leader demotes itself: hand leadership to a reachable manager first,
// then ask the new leader to do it.
void transfer_then_forward(node_actor_t* self, const pb::ControlRequest& req,
                           const raft::raft_status_ptr& s, done_fn done) {
  uint64_t to = 0;
  for (auto id : s->reachable)
    if (id != s->raft_id && to == 0)
      to = id;
  auto me = s->raft_id;
  logger("node")->info("transferring leadership to raft_id={} before "
                       "demoting this manager", to);
  self->request(self->state.store, store_timeout, transfer_atom::value, to)
    .then(
      [=](bool) {
        after(self, transfer_poll,
              [=] { forward_after_transfer(self, req, me, done, 0); });
      },
      [=](caf::error& err) { done(error_reply(to_failure(err))); });
}

void demote(node_actor_t* self, const pb::ControlRequest& req,
            const raft::raft_status_ptr& s, const store_view_ptr& v,
            done_fn done) {
  auto n = control::find_node(*v, req.node_role().refs(0));
  if (!n)
    return done(error_reply(n.error()));
  auto node = **n;
  if (!node.has_manager_status())
    return done(ok_reply());
  auto target = node.manager_status().raft_id();
  if (auto refusal = removal_refusal(*s, target, "demote"))
    return done(error_reply(*refusal));
  if (target == s->raft_id)
    return transfer_then_forward(self, req, s, done);
  pb::RoleChange rc;
  for (const auto& m : s->members.voters())
    if (m.raft_id() != target)
      rc.add_managers(m.addr());
  auto addr = node.status().addr();
  auto demoted = as_worker(node);
  if (req.node_role().leaving()) {
    demoted.mutable_status()->set_state(pb::NodeStatus::DOWN);
    demoted.mutable_status()->set_message("node left the swarm");
  }
  auto finish = [=] {
    propose_then(self, node_batch(self, pb::StoreAction::UPDATE, demoted),
                 done, [=] {
                   // Best effort: a node that is down learns it at restart
                   // from no one; it stays out of the group regardless.
                   tell_role(self, addr, rc, [](pb::ControlReply) {});
                   done(ok_reply());
                 });
  };
  pb::ConfChange cc;
  cc.set_type(pb::ConfChange::REMOVE_NODE);
  cc.mutable_member()->set_raft_id(target);
  if (!raft::is_voter(s->members, target))
    return finish();
  logger("node")->info("removing manager raft_id={} node_id={}", target,
                       node.id());
  self->request(self->state.store, store_timeout, conf_atom::value, cc)
    .then([=](uint64_t) { finish(); },
          [=](caf::error& err) { done(error_reply(to_failure(err))); });
}

void promote(node_actor_t* self, const pb::ControlRequest& req,
             const raft::raft_status_ptr& s, const store_view_ptr& v,
             done_fn done) {
  auto n = control::find_node(*v, req.node_role().refs(0));
  if (!n)
    return done(error_reply(n.error()));
  if ((*n)->has_manager_status())
    return done(ok_reply());
  if ((*n)->status().state() == pb::NodeStatus::DOWN)
    return done(error_reply(fail(errc::refused, "node " + (*n)->id()
                                                  + " is down; it cannot be "
                                                    "promoted")));
  pb::RoleChange rc;
  rc.set_manager(true);
  rc.set_token(v->cluster()->join_tokens().manager());
  for (const auto& m : s->members.voters())
    rc.add_managers(m.addr());
  tell_role(self, (*n)->status().addr(), rc, done);
}

void remove(node_actor_t* self, const pb::ControlRequest& req,
            const store_view_ptr& v, done_fn done) {
  auto n = control::find_node(*v, req.node_remove().refs(0));
  if (!n)
    return done(error_reply(n.error()));
  if (auto refusal = remove_refusal(**n, req.node_remove().force()))
    return done(error_reply(*refusal));
  pb::Node gone;
  gone.set_id((*n)->id());
  propose_then(self, node_batch(self, pb::StoreAction::REMOVE, gone), done,
               [=] { done(ok_reply()); });
}

void change(node_actor_t* self, const pb::ControlRequest& req, done_fn done) {
  bool role = req.has_node_role() && req.node_role().refs_size() > 0;
  bool rm = req.has_node_remove() && req.node_remove().refs_size() > 0;
  if (!role && !rm)
    return done(error_reply(fail(errc::bad_request,
                                 "not a membership change")));
  at_leader(self, req, done,
            [=](const raft::raft_status_ptr& s, const store_view_ptr& v) {
              if (rm)
                remove(self, req, v, done);
              else if (req.node_role().role() == pb::NodeSpec::MANAGER)
                promote(self, req, s, v, done);
              else
                demote(self, req, s, v, done);
            });
}

// A demoted manager: its Raft state goes (a new Raft id if it is ever
// promoted again: ids of removed members are never reused), it continues
// as a worker.
void become_worker(node_actor_t* self, std::vector<std::string> managers) {
  auto& st = self->state;
  st.dir->log().clear();
  st.dir->snapshots().clear();
  st.dir->node_state().remove("raft_id");
  auto id = load_identity(st.dir->node_state(), st.cfg.hostname);
  st.id.raft_id = id.raft_id;
  st.id.worker = true;
  st.id.managers = std::move(managers);
  save_identity(st.dir->node_state(), st.id);
  logger("node")->info("demoted: continuing as a worker of {} managers",
                       st.id.managers.size());
  start_components(self);
}

} // namespace

reply_t node_change(node_actor_t* self, const pb::ControlRequest& in) {
  // Docker's `self` names this node; resolved here, before the request may
  // go to the leader, where it would name another node.
  auto req = in;
  auto resolve = [self](auto& refs) {
    for (auto& r : refs)
      if (r == "self")
        r = self->state.id.node_id;
  };
  if (req.has_node_role())
    resolve(*req.mutable_node_role()->mutable_refs());
  if (req.has_node_remove())
    resolve(*req.mutable_node_remove()->mutable_refs());
  auto rp = self->make_response_promise();
  change(self, req, [rp](pb::ControlReply r) mutable { rp.deliver(r); });
  return caf::delegated<pb::ControlReply>{};
}

caf::result<std::string> serve_control(node_actor_t* self,
                                       const std::string& bytes) {
  pb::ControlRequest req;
  if (!req.ParseFromString(bytes) || !self->state.store)
    return error_reply(fail(errc::bad_request, "malformed or misdirected "
                                               "membership request"))
      .SerializeAsString();
  auto rp = self->make_response_promise<std::string>();
  change(self, req, [rp](pb::ControlReply r) mutable {
    rp.deliver(r.SerializeAsString());
  });
  return rp;
}

caf::result<std::string> serve_role(node_actor_t* self,
                                    const std::string& bytes) {
  auto& st = self->state;
  pb::RoleChange rc;
  if (!rc.ParseFromString(bytes))
    return error_reply(fail(errc::bad_request, "malformed role change"))
      .SerializeAsString();
  bool busy = st.leaving || st.joining || st.on_stopped;
  if (busy || st.id.cluster_id.empty() || rc.manager() == !st.id.worker)
    return ok_reply().SerializeAsString();
  std::vector<std::string> managers(rc.managers().begin(),
                                    rc.managers().end());
  if (!rc.manager()) {
    stop_components(self, [=] { become_worker(self, managers); });
    return ok_reply().SerializeAsString();
  }
  if (managers.empty() && st.id.managers.empty())
    return error_reply(fail(errc::bad_request, "promotion names no manager"))
      .SerializeAsString();
  auto rp = self->make_response_promise<std::string>();
  stop_components(self, [=]() mutable {
    auto& st = self->state;
    auto remote = managers.empty() ? st.id.managers.front() : managers.front();
    st.joining = true;
    send_join(
      self,
      [=](pb::ControlReply r) mutable {
        if (r.code() != 0)
          start_components(self);  // still a worker
        rp.deliver(r.SerializeAsString());
      },
      remote, join_request(st.id, rc.token(), st.id.addr), st.id.addr, 0);
  });
  return rp;
}

void leave_raft_group(node_actor_t* self, done_fn done) {
  pb::ControlRequest req;
  req.mutable_node_role()->add_refs(self->state.id.node_id);
  req.mutable_node_role()->set_role(pb::NodeSpec::WORKER);
  req.mutable_node_role()->set_leaving(true);
  change(self, req, std::move(done));
}

} // namespace actorswarm::node
