#include "actors/node/membership_actor.hpp"

#include <chrono>
#include <functional>
#include <optional>

#include "caf/all.hpp"

#include "actors/ca/join_token.hpp"
#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/join_actor.hpp"
#include "actors/node/leave.hpp"
#include "actors/node/leave_actor.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/membership_steps.hpp"
#include "actors/node/recover_actor.hpp"
#include "actors/node/role_switch_actor.hpp"
#include "actors/node/token_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "net/cluster_secrets.hpp"
#include "persistence/certificates.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

using store::store_timeout;

struct membership_state {
  node_actor_type node;
  persistence::data_dir* dir = nullptr;
  node_config cfg;
  clock* clk = nullptr;
  identity id;
  // From the node supervisor.
  store::store_actor_type store;
  net::cluster_transport_actor_type transport;
  own_change busy = own_change::none;
  // `swarm join --listen-addr` while the join runs ("" = the daemon's).
  std::optional<std::string> join_listen;
  static inline const char* name = "membership";
};

using membership_self
  = membership_actor_type::stateful_pointer<membership_state>;
using reply_t = caf::result<pb::ControlReply>;

membership_actor_type handle_of(membership_self self) {
  return caf::actor_cast<membership_actor_type>(self);
}

// Asks the node supervisor to start the components; then `then`.
void start_then(membership_self self, std::function<void()> then) {
  self->request(self->state.node, caf::infinite, components_start_atom_v)
    .then([=](bool) { then(); }, [=](caf::error&) { then(); });
}

// Runs the actor of a change of this node (`h`, its request); `then` gets
// its answer. The change ends with it, unless it ended earlier (a join
// recorded) and another began.
template <class Handle, class F>
void run_change(membership_self self, Handle h, F then) {
  auto busy = self->state.busy;
  auto end = [=] {
    if (self->state.busy == busy)
      self->state.busy = own_change::none;
  };
  h.then(
    [=](pb::ControlReply& r) mutable {
      end();
      then(std::move(r));
    },
    [=](caf::error& err) mutable {
      end();
      then(error_reply(to_failure(err)));
    });
}

// -- this node's certificate -------------------------------------------------

// Hands this node's credentials, as its files hold them for `cluster_id`,
// and where to listen (HOST:PORT) to the transport (the first ones open the
// cluster port; none close it); then `then` with the outcome (a port that
// cannot open is a failure).
void tell_credentials(membership_self self, const std::string& cluster_id,
                      const std::string& listen_addr,
                      std::function<void(status)> then = nullptr) {
  auto& st = self->state;
  pb::NodeCredentials creds;
  if (auto certs = persistence::load_node_certs(st.dir->path()); certs)
    creds = node_credentials(*certs, cluster_id);
  else
    logger("node")->error("{}", certs.error().message);
  creds.set_listen_addr(listen_addr);
  auto done = [then](status x) {
    if (then)
      then(std::move(x));
  };
  if (!st.transport)
    return done(ok_status());
  self->request(st.transport, store_timeout, cluster_creds_atom::value, creds)
    .then([=](bool) { done(ok_status()); },
          [=](caf::error& err) { done(to_failure(err)); });
}

// The public key of this node's key (made on first use).
result<std::string> own_public_key(membership_self self) {
  auto secrets = net::openssl_secrets();
  auto key = ensure_node_key(self->state.dir->path(), secrets);
  if (!key)
    return key.error();
  return secrets.public_key_of(*key);
}

// -- join (this node) ---------------------------------------------------------

// The joiner is in: remember the swarm and start like any manager.
caf::result<pb::ControlReply, store::store_actor_type>
adopt(membership_self self, const pb::JoinReply& r, const std::string& addr) {
  auto& st = self->state;
  st.busy = own_change::none;
  if (auto ok = persistence::save_node_cert(st.dir->path(), r.certificate_pem(),
                                            r.root_ca_pem());
      !ok || r.certificate_pem().empty())
    return make_error(errc::internal, ok ? "the manager sent no certificate"
                                         : ok.error().message);
  auto rp
    = self->make_response_promise<pb::ControlReply, store::store_actor_type>();
  auto at = st.id;
  if (st.join_listen)
    at.listen_addr = *st.join_listen;
  st.join_listen.reset();
  tell_credentials(
    self, r.cluster_id(), cluster_listen_addr(at, st.cfg.listen_addr),
    [=](status opened) mutable {
      auto& st = self->state;
      if (!opened) {
        persistence::remove_node_cert(st.dir->path());
        rp.deliver(make_error(opened.error()));
        return;
      }
      st.id = joined_identity(st.id, r, addr);
      st.id.listen_addr = at.listen_addr;
      save_identity(st.dir->node_state(), st.id);
      start_then(self, [=]() mutable {
        auto& st = self->state;
        logger("node")->info("joined swarm cluster_id={} as {} raft_id={}",
                             st.id.cluster_id,
                             r.manager() ? "manager" : "worker", st.id.raft_id);
        pb::ControlReply out;
        *out.mutable_info() = identity_info(st.id, st.dir->path());
        out.mutable_info()->set_is_manager(r.manager());
        rp.deliver(std::move(out), st.store);
      });
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
  if (!st.cfg.cluster_port)
    return error_reply(fail(errc::refused, "this node has no cluster port"));
  auto pin = ca::pinned_ca_digest(req.token());
  if (!pin)
    return error_reply(pin.error());
  auto pub = own_public_key(self);
  if (!pub)
    return error_reply(pub.error());
  auto listen = join_listen_addr(req);
  if (!listen)
    return error_reply(listen.error());
  st.join_listen = *listen;
  st.busy = own_change::joining;
  auto j = spawn_join(self, {st.node, handle_of(self), req.remote_addr(),
                             join_request(st.id, req.token(), *addr, *pub),
                             *addr, *pin});
  auto rp = self->make_response_promise<pb::ControlReply>();
  run_change(self, self->request(j, caf::infinite, node_join_atom_v),
             [=](pb::ControlReply r) mutable {
               self->state.join_listen.reset();
               rp.deliver(std::move(r));
             });
  return rp;
}

// -- init, join-token, force-new-cluster, leave -------------------------------

reply_t force_new_cluster(membership_self self) {
  auto& st = self->state;
  if (auto refusal = force_new_cluster_refusal(st.busy, bool{st.store}))
    return error_reply(*refusal);
  st.busy = own_change::restarting;
  auto r = spawn_recover(self,
                         {st.store, st.node, handle_of(self), st.dir, st.id});
  auto rp = self->make_response_promise<pb::ControlReply>();
  run_change(self, self->request(r, caf::infinite, force_new_cluster_atom_v),
             [=](pb::ControlReply x) mutable { rp.deliver(std::move(x)); });
  return rp;
}

reply_t swarm_init(membership_self self, const pb::SwarmInitRequest& req) {
  auto& st = self->state;
  if (!st.id.cluster_id.empty() && req.force_new_cluster())
    return force_new_cluster(self);
  if (auto refusal = join_refusal(st.id, st.busy))
    return error_reply(*refusal);
  auto addr = advertise_addr(req, st.cfg.listen_addr);
  if (!addr)
    return error_reply(addr.error());
  auto listen = init_listen_addr(req);
  if (!listen)
    return error_reply(listen.error());
  auto secrets = net::openssl_secrets();
  auto cluster = make_cluster(req, *addr, secrets);
  if (!cluster)
    return error_reply(cluster.error());
  auto pub = own_public_key(self);
  if (!pub)
    return error_reply(pub.error());
  auto cert = issue_cert(*cluster, *pub, st.id.node_id, true, secrets);
  if (!cert)
    return error_reply(cert.error());
  if (auto ok = persistence::save_node_cert(st.dir->path(), *cert,
                                            cluster->root_ca_cert_pem());
      !ok)
    return error_reply(ok.error());
  st.busy = own_change::joining;
  auto rp = self->make_response_promise<pb::ControlReply>();
  auto at = st.id;
  at.listen_addr = *listen;
  tell_credentials(self, cluster->id(),
                   cluster_listen_addr(at, st.cfg.listen_addr),
                   [=, c = *cluster, cert = *cert](status opened) mutable {
                     auto& st = self->state;
                     st.busy = own_change::none;
                     if (!opened) {
                       persistence::remove_node_cert(st.dir->path());
                       rp.deliver(error_reply(opened.error()));
                       return;
                     }
                     st.id.cluster_id = c.id();
                     st.id.addr = *addr;
                     st.id.listen_addr = *listen;
                     auto batch = init_batch(c, st.id, cert, st.clk->now_ns());
                     save_identity(st.dir->node_state(), st.id);
                     auto ok = init_reply(c, st.id);
                     start_then(self, [=]() mutable {
                       self
                         ->request(self->state.store, store_timeout,
                                   propose_atom::value, batch)
                         .then([=](uint64_t) mutable { rp.deliver(ok); },
                               [=](caf::error& err) mutable {
                                 rp.deliver(error_reply(to_failure(err)));
                               });
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
                              &st.dir->task_records(), st.clk,
                              st.dir->path() + "/netns"});
  auto rp = self->make_response_promise<pb::ControlReply>();
  run_change(self, self->request(l, caf::infinite, node_leave_atom_v),
             [=](pb::ControlReply r) mutable {
               if (r.code() != 0) {
                 rp.deliver(std::move(r));
                 return;
               }
               // The processes are gone: wipe the swarm state, forget it.
               auto& st = self->state;
               st.id = left_swarm(*st.dir, st.cfg.hostname,
                                  net::openssl_secrets());
               persistence::remove_node_cert(st.dir->path());
               tell_credentials(self, {}, {});
               logger("node")->info("left the swarm node_id={}", st.id.node_id);
               pb::ControlReply ok;
               ok.set_text("Node left the swarm.");
               rp.deliver(ok);
             });
  return rp;
}

// -- certificates from the leader's CA (renewal, rotation) -------------------

// CERT: a new certificate for this node's key and the roots to trust. Saved,
// then the transport reloads (new connections use them, old ones retire);
// answered once it did. Nothing restarts. A certificate for another key is
// refused: this node could not use it.
caf::result<std::string> serve_cert(membership_self self,
                                    const std::string& bytes) {
  auto& st = self->state;
  pb::CertUpdate u;
  if (!u.ParseFromString(bytes) || u.certificate_pem().empty()
      || u.trusted_roots_pem().empty())
    return error_reply(fail(errc::bad_request, "malformed certificate update"))
      .SerializeAsString();
  if (st.id.cluster_id.empty())
    return error_reply(not_in_swarm()).SerializeAsString();
  auto secrets = net::openssl_secrets();
  auto own = own_public_key(self);
  auto theirs = secrets.public_key_of(u.certificate_pem());
  if (!own || !theirs || *own != *theirs)
    return error_reply(fail(errc::refused,
                            "the certificate is not for this node's key"))
      .SerializeAsString();
  if (auto ok = persistence::save_node_cert(st.dir->path(), u.certificate_pem(),
                                            u.trusted_roots_pem());
      !ok)
    return error_reply(ok.error()).SerializeAsString();
  auto rp = self->make_response_promise<std::string>();
  tell_credentials(self, st.id.cluster_id,
                   cluster_listen_addr(st.id, st.cfg.listen_addr),
                   [rp](status x) mutable {
                     rp.deliver(x ? pb::ControlReply{}.SerializeAsString()
                                  : error_reply(x.error()).SerializeAsString());
                   });
  logger("node")->info("new node certificate installed");
  return rp;
}

// -- role changes of this node -----------------------------------------------

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
  if (rc.manager() && rc.managers().empty() && st.id.managers.empty())
    return error_reply(fail(errc::bad_request, "promotion names no manager"))
      .SerializeAsString();
  std::string pub;
  if (rc.manager()) {
    auto k = own_public_key(self);
    if (!k)
      return error_reply(k.error()).SerializeAsString();
    pub = std::move(*k);
  } else if (!rc.certificate_pem().empty()) {
    // Demoted: from now on this node presents a worker's certificate.
    auto certs = persistence::load_node_certs(st.dir->path());
    if (certs)
      if (auto ok = persistence::save_node_cert(st.dir->path(),
                                                rc.certificate_pem(),
                                                certs->roots_pem);
          ok)
        tell_credentials(self, st.id.cluster_id,
                         cluster_listen_addr(st.id, st.cfg.listen_addr));
  }
  st.busy = own_change::restarting;
  auto s = spawn_role_switch(self, {st.node, handle_of(self), rc, st.id, pub});
  // A demote is answered at once; a promotion once it joined (or not).
  auto rp = self->make_response_promise<std::string>();
  if (!rc.manager())
    rp.deliver(ok);
  run_change(self, self->request(s, caf::infinite, role_switch_atom_v),
             [=](pb::ControlReply r) mutable {
               if (rc.manager())
                 rp.deliver(r.SerializeAsString());
             });
  return rp;
}

// With the components stopped, the Raft state was rewritten as a group of
// this manager alone: from now on it is the group's founder, and a restart
// must not wait for a leader's log.
bool founded(membership_self self) {
  auto& st = self->state;
  st.id.joined = false;
  save_identity(st.dir->node_state(), st.id);
  return true;
}

// With the components stopped, the leader demoted this manager: it forgets
// its Raft state and continues as a worker of the remaining managers.
bool demoted(membership_self self, std::vector<std::string> managers) {
  auto& st = self->state;
  st.id = demote_to_worker(*st.dir, st.id, std::move(managers),
                           net::openssl_secrets());
  logger("node")->info("demoted: continuing as a worker of {} managers",
                       st.id.managers.size());
  return true;
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
  st.id = load_identity(dir->node_state(), st.cfg.hostname,
                        net::openssl_secrets());
  return {
    [=](control_atom, pb::ControlRequest& req) { return handle(self, req); },
    [=](rpc_atom, int32_t kind, const std::string&,
        const std::string& bytes) -> caf::result<std::string> {
      if (kind == pb::Envelope::ROLE)
        return serve_role(self, bytes);
      if (kind == pb::Envelope::CERT)
        return serve_cert(self, bytes);
      return make_error(errc::bad_request, "not a node request");
    },
    [=](join_adopt_atom, const pb::JoinReply& r, const std::string& addr) {
      return adopt(self, r, addr);
    },
    [=](node_demoted_atom, std::vector<std::string>& managers) {
      return demoted(self, std::move(managers));
    },
    [=](node_founded_atom) { return founded(self); },
    [=](node_components_atom, store::store_actor_type& store,
        net::cluster_transport_actor_type& transport) {
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
