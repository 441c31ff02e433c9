#include "actors/node/membership_actor.hpp"

#include <chrono>
#include <functional>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/join_actor.hpp"
#include "actors/node/leave.hpp"
#include "actors/node/leave_actor.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/membership_steps.hpp"
#include "actors/node/recover_actor.hpp"
#include "actors/node/token_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

/// How long the membership actor waits on the store.
constexpr auto store_timeout = std::chrono::seconds(30);

struct membership_state {
  node_actor_type node;
  persistence::data_dir* dir = nullptr;
  node_config cfg;
  clock* clk = nullptr;
  identity id;
  // From the node supervisor. TODO(i7-merge): typed handles.
  caf::actor store, transport;
  own_change busy = own_change::none;
  static inline const char* name = "membership";
};

using membership_self
  = membership_actor_type::stateful_pointer<membership_state>;
using reply_t = caf::result<pb::ControlReply>;
using done_fn = std::function<void(pb::ControlReply)>;

// Asks the node supervisor to start (or stop) the components; then `then`.
void components_then(membership_self self, bool start,
                     std::function<void()> then) {
  auto h = start ? self->request(self->state.node, caf::infinite,
                                 components_start_atom_v)
                 : self->request(self->state.node, caf::infinite,
                                 components_stop_atom_v);
  h.then([=](bool) { then(); }, [=](caf::error&) { then(); });
}

// -- join (this node) ---------------------------------------------------------

// Runs a join (join_actor); `done` gets its answer. A join that failed
// recorded nothing, so this node is no longer busy with it.
void join(membership_self self, std::string remote, pb::JoinRequest jr,
          std::string addr, done_fn done) {
  auto& st = self->state;
  auto j = spawn_join(self, {st.node, caf::actor_cast<membership_actor_type>(self),
                             std::move(remote), std::move(jr),
                             std::move(addr)});
  self->request(j, caf::infinite, node_join_atom_v)
    .then(
      [=](pb::ControlReply& r) {
        if (r.code() != 0)
          self->state.busy = own_change::none;
        done(std::move(r));
      },
      [=](caf::error& err) {
        self->state.busy = own_change::none;
        done(error_reply(to_failure(err)));
      });
}

// The joiner is in: remember the swarm and start like any manager.
caf::result<pb::ControlReply, caf::actor>
adopt(membership_self self, const pb::JoinReply& r, const std::string& addr) {
  auto& st = self->state;
  st.busy = own_change::none;
  st.id = joined_identity(st.id, r, addr);
  save_identity(st.dir->node_state(), st.id);
  auto rp = self->make_response_promise<pb::ControlReply, caf::actor>();
  components_then(self, true, [=]() mutable {
    auto& st = self->state;
    logger("node")->info("joined swarm cluster_id={} as {} raft_id={}",
                         st.id.cluster_id, r.manager() ? "manager" : "worker",
                         st.id.raft_id);
    pb::ControlReply out;
    *out.mutable_info() = identity_info(st.id, st.dir->path());
    out.mutable_info()->set_is_manager(r.manager());
    rp.deliver(std::move(out), st.store);
  });
  return rp;
}

reply_t swarm_join(membership_self self, const pb::SwarmJoinRequest& req) {
  auto& st = self->state;
  if (auto refusal = join_refusal(st.id, st.busy))
    return error_reply(*refusal);
  auto addr = join_addr(req, st.cfg.listen_addr);
  if (!addr)
    return error_reply(addr.error());
  if (!self->system().has_middleman())
    return error_reply(fail(errc::refused, "this node has no cluster port "
                                           "(CAF's middleman is not loaded)"));
  st.busy = own_change::joining;
  auto rp = self->make_response_promise<pb::ControlReply>();
  join(self, req.remote_addr(), join_request(st.id, req.token(), *addr), *addr,
       [rp](pb::ControlReply r) mutable { rp.deliver(std::move(r)); });
  return rp;
}

// -- init, join-token, force-new-cluster, leave -------------------------------

reply_t force_new_cluster(membership_self self) {
  auto& st = self->state;
  if (auto refusal = force_new_cluster_refusal(st.busy, bool{st.store}))
    return error_reply(*refusal);
  st.busy = own_change::restarting;
  auto r = spawn_recover(self, st.store, st.node, *st.dir, st.id);
  auto rp = self->make_response_promise<pb::ControlReply>();
  auto done = [=](pb::ControlReply x) mutable {
    self->state.busy = own_change::none;
    rp.deliver(std::move(x));
  };
  self->request(r, caf::infinite, force_new_cluster_atom_v)
    .then(
      [=](pb::ControlReply& x) mutable {
        if (x.code() != 0)
          return done(std::move(x));
        // From now on this node is the group's founder: a restart must not
        // wait for a leader's log.
        auto& st = self->state;
        st.id.joined = false;
        save_identity(st.dir->node_state(), st.id);
        components_then(self, true, [=]() mutable { done(x); });
      },
      [=](caf::error& err) mutable { done(error_reply(to_failure(err))); });
  return rp;
}

reply_t swarm_init(membership_self self, const pb::SwarmInitRequest& req) {
  auto& st = self->state;
  if (!st.id.cluster_id.empty() && req.force_new_cluster())
    return force_new_cluster(self);
  if (!st.id.cluster_id.empty())
    return error_reply(already_in_swarm());
  auto addr = advertise_addr(req, st.cfg.listen_addr);
  if (!addr)
    return error_reply(addr.error());
  auto cluster = make_cluster(req, *addr);
  if (!cluster)
    return error_reply(cluster.error());
  st.id.cluster_id = cluster->id();
  st.id.addr = *addr;
  auto batch = init_batch(*cluster, st.id, st.clk->now_ns());
  save_identity(st.dir->node_state(), st.id);
  auto rp = self->make_response_promise<pb::ControlReply>();
  auto ok = init_reply(*cluster, st.id);
  components_then(self, true, [=]() mutable {
    self->request(self->state.store, store_timeout, propose_atom::value, batch)
      .then([=](uint64_t) mutable { rp.deliver(ok); },
            [=](caf::error& err) mutable {
              rp.deliver(error_reply(to_failure(err)));
            });
  });
  return rp;
}

reply_t join_token(membership_self self, const pb::JoinTokenRequest& req) {
  auto& st = self->state;
  if (st.id.cluster_id.empty() || !st.store)
    return error_reply(not_in_swarm());
  auto t = spawn_token(self, st.store, *st.clk, req, st.id.addr);
  return self->delegate(t, join_token_atom_v);
}

reply_t swarm_leave(membership_self self, bool force) {
  auto& st = self->state;
  if (auto refusal = leave_start_refusal(st.id, st.busy))
    return error_reply(*refusal);
  st.busy = own_change::leaving;
  auto l = spawn_leave(self, {st.id, force, st.store, st.transport, st.node,
                              &st.dir->task_records(), st.clk});
  auto rp = self->make_response_promise<pb::ControlReply>();
  self->request(l, caf::infinite, node_leave_atom_v)
    .then(
      [=](pb::ControlReply& r) mutable {
        auto& st = self->state;
        st.busy = own_change::none;
        if (r.code() != 0) {
          rp.deliver(std::move(r));
          return;
        }
        // The processes are gone: wipe the swarm state and forget it.
        st.id = left_swarm(*st.dir, st.cfg.hostname);
        logger("node")->info("left the swarm node_id={}", st.id.node_id);
        pb::ControlReply ok;
        ok.set_text("Node left the swarm.");
        rp.deliver(ok);
      },
      [=](caf::error& err) mutable {
        self->state.busy = own_change::none;
        rp.deliver(error_reply(to_failure(err)));
      });
  return rp;
}

// -- role changes of this node -----------------------------------------------

// The leader demoted this manager: it forgets its Raft state and continues
// as a worker of the remaining managers.
void become_worker(membership_self self, std::vector<std::string> managers) {
  auto& st = self->state;
  st.id = demote_to_worker(*st.dir, st.id, std::move(managers));
  logger("node")->info("demoted: continuing as a worker of {} managers",
                       st.id.managers.size());
  components_then(self, true, [=] { self->state.busy = own_change::none; });
}

// The leader promoted this worker: it joins with the manager token; if that
// fails it runs on as a worker.
void become_manager(membership_self self, const pb::RoleChange& rc,
                    std::vector<std::string> managers, done_fn done) {
  auto& st = self->state;
  auto remote = managers.empty() ? st.id.managers.front() : managers.front();
  st.busy = own_change::joining;
  join(self, remote, join_request(st.id, rc.token(), st.id.addr), st.id.addr,
       [=](pb::ControlReply r) {
         if (r.code() == 0)
           return done(r);
         components_then(self, true, [=] { done(r); });
       });
}

caf::result<std::string> serve_role(membership_self self,
                                    const std::string& bytes) {
  auto& st = self->state;
  pb::RoleChange rc;
  if (!rc.ParseFromString(bytes))
    return error_reply(fail(errc::bad_request, "malformed role change"))
      .SerializeAsString();
  auto ok = pb::ControlReply{}.SerializeAsString();
  if (ignores_role_change(st.id, st.busy, rc.manager()))
    return ok;
  std::vector<std::string> managers(rc.managers().begin(),
                                    rc.managers().end());
  if (!rc.manager()) {
    st.busy = own_change::restarting;
    components_then(self, false, [=] { become_worker(self, managers); });
    return ok;
  }
  if (managers.empty() && st.id.managers.empty())
    return error_reply(fail(errc::bad_request, "promotion names no manager"))
      .SerializeAsString();
  st.busy = own_change::restarting;
  auto rp = self->make_response_promise<std::string>();
  done_fn done = [rp](pb::ControlReply r) mutable {
    rp.deliver(r.SerializeAsString());
  };
  components_then(self, false,
                  [=] { become_manager(self, rc, managers, done); });
  return rp;
}

reply_t handle(membership_self self, pb::ControlRequest& req) {
  auto& st = self->state;
  using R = pb::ControlRequest;
  switch (req.request_case()) {
    case R::kInfo: {
      pb::ControlReply out;
      *out.mutable_info() = identity_info(st.id, st.dir->path());
      return out;
    }
    case R::kSwarmInit:
      return swarm_init(self, req.swarm_init());
    case R::kJoinToken:
      return join_token(self, req.join_token());
    case R::kSwarmJoin:
      return swarm_join(self, req.swarm_join());
    case R::kSwarmLeave:
      return swarm_leave(self, req.swarm_leave().force());
    default:
      return error_reply(fail(errc::bad_request, "unknown request"));
  }
}

membership_actor_type::behavior_type
membership_actor(membership_self self, node_actor_type node,
                 persistence::data_dir* dir, node_config cfg, clock* clk) {
  auto& st = self->state;
  st.node = std::move(node);
  st.dir = dir;
  st.cfg = std::move(cfg);
  st.clk = clk;
  st.id = load_identity(dir->node_state(), st.cfg.hostname);
  return {
    [=](control_atom, pb::ControlRequest& req) { return handle(self, req); },
    [=](rpc_atom, int32_t kind,
        const std::string& bytes) -> caf::result<std::string> {
      if (kind == pb::Envelope::ROLE)
        return serve_role(self, bytes);
      return make_error(errc::bad_request, "not a node request");
    },
    [=](join_adopt_atom, const pb::JoinReply& r, const std::string& addr) {
      return adopt(self, r, addr);
    },
    [=](node_components_atom, caf::actor& store, caf::actor& transport) {
      self->state.store = std::move(store);
      self->state.transport = std::move(transport);
    },
  };
}

} // namespace

membership_actor_type spawn_membership(caf::local_actor* parent,
                                       node_actor_type node,
                                       persistence::data_dir& dir,
                                       const node_config& cfg, clock& clk) {
  return parent->spawn<caf::linked>(membership_actor, std::move(node), &dir,
                                    cfg, &clk);
}

} // namespace actorswarm::node
