#include "actors/node/token_actor.hpp"

#include <chrono>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/clock.hpp"
#include "actors/node/membership.hpp"
#include "messages/caf_error.hpp"
#include "net/cluster_secrets.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

using store::store_timeout;

struct token_state {
  store::store_actor_type store;
  clock* clk = nullptr;
  pb::JoinTokenRequest req;
  std::string addr;
  caf::typed_response_promise<pb::ControlReply> rp;
  static inline const char* name = "token";
};

using token_self = token_actor_type::stateful_pointer<token_state>;

void answer(token_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

void rotate(token_self self, const pb::Cluster& c) {
  auto& st = self->state;
  auto role = st.req.role();
  auto rotated = rotate_token(c, role, net::openssl_secrets());
  auto batch = control::single_action(pb::StoreAction::UPDATE,
                                      st.clk->now_ns());
  *batch.mutable_actions(0)->mutable_cluster() = rotated;
  auto reply = token_reply(std::make_shared<const pb::Cluster>(rotated), role,
                           st.addr);
  reply.set_warning(std::string{"Successfully rotated "}
                    + (role == pb::NodeSpec::MANAGER ? "manager" : "worker")
                    + " join token.");
  self->request(st.store, store_timeout, propose_atom::value, batch)
    .then([=](uint64_t) { answer(self, reply); },
          [=](caf::error& err) { answer(self, error_reply(to_failure(err))); });
}

void on_view(token_self self, const store_view_ptr& v) {
  auto& st = self->state;
  auto c = v->cluster();
  if (!st.req.rotate())
    answer(self, token_reply(c, st.req.role(), st.addr));
  else if (!c)
    answer(self, error_reply(not_in_swarm()));
  else
    rotate(self, *c);
}

token_actor_type::behavior_type
token_actor(token_self self, store::store_actor_type store, clock* clk,
            pb::JoinTokenRequest req, std::string addr) {
  auto& st = self->state;
  st.store = std::move(store);
  st.clk = clk;
  st.req = std::move(req);
  st.addr = std::move(addr);
  return {
    [=](join_token_atom) {
      self->state.rp = self->make_response_promise<pb::ControlReply>();
      self->request(self->state.store, store_timeout, view_atom::value)
        .then([=](const store_view_ptr& v) { on_view(self, v); },
              [=](caf::error& err) {
                answer(self, error_reply(to_failure(err)));
              });
      return self->state.rp;
    },
  };
}

} // namespace

token_actor_type spawn_token(caf::local_actor* parent,
                             store::store_actor_type store, clock& clk,
                             pb::JoinTokenRequest req, std::string addr) {
  return parent->spawn<caf::linked>(token_actor, std::move(store), &clk,
                                    std::move(req), std::move(addr));
}

} // namespace actorswarm::node
