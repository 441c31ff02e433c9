#include "actors/node/swarm_admin_actor.hpp"

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/admission_actor.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"
#include "actors/node/role_change_actor.hpp"
#include "messages/caf_error.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

struct swarm_admin_state {
  std::string node_id;
  clock* clk = nullptr;
  // From the node supervisor.
  store::store_actor_type store;
  net::cluster_transport_actor_type transport;
  static inline const char* name = "swarm_admin";
};

using admin_self = swarm_admin_actor_type::stateful_pointer<swarm_admin_state>;

// Runs `req` on the leader; `done` gets its answer.
template <class F>
void change_role(admin_self self, pb::ControlRequest req, F done) {
  auto& st = self->state;
  auto c = spawn_role_change(self, st.store, st.transport, *st.clk,
                             std::move(req));
  self->request(c, caf::infinite, role_change_atom_v)
    .then([=](pb::ControlReply& r) mutable { done(std::move(r)); },
          [=](caf::error& err) mutable { done(error_reply(to_failure(err))); });
}

caf::result<pb::ControlReply> node_change(admin_self self,
                                          pb::ControlRequest req) {
  auto& st = self->state;
  if (!st.store)
    return error_reply(not_in_swarm());
  // Docker's `self` names this node; resolved here, before the request may
  // go to the leader, where it would name another node.
  auto resolve = [&](auto& refs) {
    for (auto& r : refs)
      if (r == "self")
        r = st.node_id;
  };
  if (req.has_node_role())
    resolve(*req.mutable_node_role()->mutable_refs());
  if (req.has_node_remove())
    resolve(*req.mutable_node_remove()->mutable_refs());
  auto rp = self->make_response_promise<pb::ControlReply>();
  change_role(self, std::move(req),
              [rp](pb::ControlReply r) mutable { rp.deliver(std::move(r)); });
  return rp;
}

std::string join_refusal(const failure& f) {
  pb::JoinReply r;
  r.set_code(static_cast<uint32_t>(f.code));
  r.set_error(f.message);
  return r.SerializeAsString();
}

caf::result<std::string> serve_join(admin_self self, const std::string& bytes) {
  auto& st = self->state;
  pb::JoinRequest req;
  if (!req.ParseFromString(bytes) || req.node_id().empty() || req.raft_id() == 0
      || req.addr().empty())
    return join_refusal(fail(errc::bad_request, "malformed join request"));
  if (!st.store)
    return join_refusal(not_in_swarm());
  auto a = spawn_admission(self, st.store, st.transport, *st.clk, req, bytes);
  return self->delegate(a, join_admit_atom_v);
}

caf::result<std::string> serve_control(admin_self self,
                                       const std::string& bytes) {
  pb::ControlRequest req;
  if (!req.ParseFromString(bytes) || !self->state.store)
    return error_reply(fail(errc::bad_request, "malformed or misdirected "
                                               "membership request"))
      .SerializeAsString();
  auto rp = self->make_response_promise<std::string>();
  change_role(self, std::move(req), [rp](pb::ControlReply r) mutable {
    rp.deliver(r.SerializeAsString());
  });
  return rp;
}

swarm_admin_actor_type::behavior_type
swarm_admin_actor(admin_self self, std::string node_id, clock* clk) {
  self->state.node_id = std::move(node_id);
  self->state.clk = clk;
  return {
    [=](control_atom, pb::ControlRequest& req) {
      return node_change(self, std::move(req));
    },
    [=](rpc_atom, int32_t kind, const std::string&,
        const std::string& bytes) -> caf::result<std::string> {
      if (kind == pb::Envelope::JOIN)
        return serve_join(self, bytes);
      if (kind == pb::Envelope::CONTROL)
        return serve_control(self, bytes);
      return make_error(errc::bad_request, "not a node request");
    },
    [=](node_components_atom, store::store_actor_type& store,
        net::cluster_transport_actor_type& transport) {
      self->state.store = std::move(store);
      self->state.transport = std::move(transport);
    },
  };
}

} // namespace

swarm_admin_actor_type spawn_swarm_admin(caf::local_actor* parent,
                                         std::string node_id, clock& clk) {
  return parent->spawn<caf::linked>(swarm_admin_actor, std::move(node_id),
                                    &clk);
}

} // namespace actorswarm::node
