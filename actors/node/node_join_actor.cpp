// `swarm join` on both sides (node_state_actor.hpp). The joining node sends
// a JoinRequest to the manager it was given; any manager passes it to the
// leader, which checks the token in constant time, adds the joiner to the
// Raft group (one membership change at a time) and stores its node object.
// The joiner then starts its manager components on an empty log: the
// leader's snapshot and log entries bring it up to date.

#include "actors/ca/join_token.hpp"
#include "actors/control/control_logic.hpp"
#include "actors/node/node_state_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/docker_text.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

/// A join waits for a round trip to the leader and two commits there.
constexpr auto join_timeout = std::chrono::seconds(20);
constexpr auto join_retry = std::chrono::milliseconds(100);
constexpr int join_attempts = 100;
constexpr auto catch_up_poll = std::chrono::milliseconds(20);
constexpr int catch_up_polls = 100;

std::string join_reply(const failure& f) {
  pb::JoinReply r;
  r.set_code(static_cast<uint32_t>(f.code));
  r.set_error(f.message);
  return r.SerializeAsString();
}

std::string join_ok(const std::string& cluster_id, bool manager,
                    const pb::ConfState& members) {
  pb::JoinReply r;
  r.set_cluster_id(cluster_id);
  r.set_manager(manager);
  for (const auto& m : members.voters())
    r.add_managers(m.addr());
  return r.SerializeAsString();
}

// The joiner is in: remember the swarm and start like any manager.
// A new manager answers `swarm join` once it caught up: a linearizable
// read succeeded (it heard from the leader and applied what was committed
// when it asked). Bounded: at most catch_up_polls tries.
void when_caught_up(node_actor_t* self, pb::ControlReply out, done_fn done,
                    int n) {
  auto& st = self->state;
  if (!st.store) {
    done(std::move(out));
    return;
  }
  auto retry = [=] {
    if (n >= catch_up_polls) {
      auto late = out;
      late.set_warning("this manager has not caught up with the leader yet");
      done(late);
      return;
    }
    after(self, catch_up_poll,
          [=] { when_caught_up(self, out, done, n + 1); });
  };
  self->request(st.store, store_timeout, read_atom::value)
    .then(
      [=](bool fresh) {
        if (fresh)
          done(out);
        else
          retry();
      },
      [=](caf::error&) { retry(); });
}

void joined(node_actor_t* self, const pb::JoinReply& r,
            const std::string& addr, done_fn done) {
  auto& st = self->state;
  st.id.cluster_id = r.cluster_id();
  st.id.addr = addr;
  st.id.joined = true;
  st.id.worker = !r.manager();
  st.id.managers.assign(r.managers().begin(), r.managers().end());
  save_identity(st.dir->node_state(), st.id);
  start_components(self);
  logger("node")->info("joined swarm cluster_id={} as {} raft_id={}",
                       st.id.cluster_id, r.manager() ? "manager" : "worker",
                       st.id.raft_id);
  pb::ControlReply out;
  *out.mutable_info() = identity_info(st.id, st.dir->path());
  out.mutable_info()->set_is_manager(r.manager());
  when_caught_up(self, std::move(out), std::move(done), 0);
}

// Leader side, once the token checked out: the node object first, then the
// member. Both commit under the current membership; once the member is in,
// commits need the joiner, which starts only after our answer. A retry of a
// half-done join finds what is there and skips it.
void admit(node_actor_t* self, const pb::JoinRequest& req, bool manager,
           const raft::raft_status_ptr& status, const store_view_ptr& view,
           caf::response_promise rp) {
  auto& st = self->state;
  auto cluster_id = view->cluster()->id();
  auto store = st.store;
  bool is_member = false;
  for (const auto& m : status->members.voters()) {
    if (m.raft_id() == req.raft_id())
      is_member = true;
    else if (m.node_id() == req.node_id()) {
      rp.deliver(join_reply(fail(
        errc::refused, "node " + req.node_id()
                         + " is still a manager of this swarm under another "
                           "Raft id; remove it first (node demote / node rm)")));
      return;
    }
  }
  auto members = status->members;
  auto add_member_then_reply = [=]() mutable {
    if (is_member || !manager) {
      rp.deliver(join_ok(cluster_id, manager, members));
      return;
    }
    logger("node")->info("adding manager node_id={} raft_id={} addr={}",
                         req.node_id(), req.raft_id(), req.addr());
    self->request(store, store_timeout, conf_atom::value, add_member(req))
      .then([=](uint64_t) mutable {
              auto after = members;
              *after.add_voters() = add_member(req).member();
              rp.deliver(join_ok(cluster_id, manager, after));
            },
            [=](caf::error& err) mutable {
              rp.deliver(join_reply(to_failure(err)));
            });
  };
  auto batch = joined_node_batch(req, manager, st.clk->now_ns());
  if (auto n = view->nodes().find(req.node_id()); n != view->nodes().end()) {
    // A worker promoted: the node object becomes a manager's.
    if (!manager || n->second->has_manager_status()) {
      add_member_then_reply();
      return;
    }
    batch = control::single_action(pb::StoreAction::UPDATE, st.clk->now_ns());
    *batch.mutable_actions(0)->mutable_node()
      = as_manager(*n->second, req.raft_id(), req.addr());
  }
  self->request(store, store_timeout, propose_atom::value, batch)
    .then([=](uint64_t) mutable { add_member_then_reply(); },
          [=](caf::error& err) mutable {
            rp.deliver(join_reply(to_failure(err)));
          });
}

void serve_as_leader(node_actor_t* self, const pb::JoinRequest& req,
                     const raft::raft_status_ptr& status,
                     caf::response_promise rp) {
  self->request(self->state.store, store_timeout, view_atom::value)
    .then([=](const store_view_ptr& view) mutable {
      auto c = view->cluster();
      if (!c) {
        rp.deliver(join_reply(not_in_swarm()));
        return;
      }
      auto role = ca::check_token(*c, req.token());
      if (!role) {
        rp.deliver(join_reply(role.error()));
        return;
      }
      admit(self, req, *role == pb::NodeSpec::MANAGER, status, view, rp);
    });
}

} // namespace

void send_join(node_actor_t* self, done_fn done, std::string remote,
               pb::JoinRequest jr, std::string addr, int attempt) {
  self
    ->request(self->state.transport, join_timeout, cluster_call_atom::value,
              remote,
              static_cast<int32_t>(pb::Envelope::JOIN), jr.SerializeAsString())
    .then(
      [=](const std::string& bytes) mutable {
        pb::JoinReply r;
        if (r.ParseFromString(bytes)
            && r.code() == static_cast<uint32_t>(errc::not_leader)
            && attempt + 1 < join_attempts) {
          after(self, join_retry, [=] {
            send_join(self, done, remote, jr, addr, attempt + 1);
          });
          return;
        }
        self->state.joining = false;
        if (!r.ParseFromString(bytes))
          done(error_reply(fail(errc::internal, "malformed join reply")));
        else if (r.code() != 0)
          done(error_reply(fail(static_cast<errc>(r.code()), r.error())));
        else
          joined(self, r, addr, done);
      },
      [=](caf::error& err) mutable {
        self->state.joining = false;
        auto f = to_failure(err);
        done(error_reply(fail(
          errc::unavailable, "could not join the swarm through " + remote
                               + ": " + f.message)));
      });
}

reply_t swarm_join(node_actor_t* self, const pb::SwarmJoinRequest& req) {
  auto& st = self->state;
  if (!st.id.cluster_id.empty())
    return error_reply(
      fail(errc::already_in_swarm, docker_text::already_in_swarm()));
  if (st.joining || st.leaving)
    return error_reply(fail(errc::refused, "this node is already joining or "
                                           "leaving a swarm"));
  if (auto ok = check_join_args(req); !ok)
    return error_reply(ok.error());
  pb::SwarmInitRequest where;
  where.set_advertise_addr(req.advertise_addr());
  where.set_listen_addr(req.listen_addr());
  auto addr = advertise_addr(where, st.cfg.listen_addr);
  if (!addr)
    return error_reply(addr.error());
  if (!self->system().has_middleman())
    return error_reply(fail(errc::refused, "this node has no cluster port "
                                           "(CAF's middleman is not loaded)"));
  if (!st.transport)
    open_transport(self);
  st.joining = true;
  auto rp = self->make_response_promise();
  send_join(self, [rp](pb::ControlReply r) mutable { rp.deliver(r); },
            req.remote_addr(), join_request(st.id, req.token(), *addr), *addr,
            0);
  return caf::delegated<pb::ControlReply>{};
}

caf::result<std::string> serve_join(node_actor_t* self,
                                    const std::string& bytes) {
  auto& st = self->state;
  pb::JoinRequest req;
  if (!req.ParseFromString(bytes) || req.node_id().empty()
      || req.raft_id() == 0 || req.addr().empty())
    return join_reply(fail(errc::bad_request, "malformed join request"));
  if (!st.store || st.leaving)
    return join_reply(not_in_swarm());
  auto rp = self->make_response_promise<std::string>();
  self->request(st.store, store_timeout, raft_status_atom::value)
    .then(
      [=](const raft::raft_status_ptr& status) mutable {
        if (status && status->is_leader) {
          serve_as_leader(self, req, status, rp);
        } else if (status && status->lead != 0) {
          // A follower passes the request on, unchanged, to the leader.
          self
            ->request(self->state.transport, join_timeout,
                      cluster_call_atom::value,
                      status->lead, static_cast<int32_t>(pb::Envelope::JOIN),
                      bytes)
            .then([=](std::string& r) mutable { rp.deliver(std::move(r)); },
                  [=](caf::error& err) mutable {
                    rp.deliver(join_reply(to_failure(err)));
                  });
        } else {
          rp.deliver(join_reply(no_leader()));
        }
      },
      [=](caf::error& err) mutable { rp.deliver(join_reply(to_failure(err))); });
  return rp;
}

} // namespace actorswarm::node
