#include "actors/node/join_actor.hpp"

#include <chrono>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/membership_steps.hpp"
#include "messages/caf_error.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

using store::store_timeout;

struct join_state {
  join_config cfg;
  caf::typed_response_promise<pb::ControlReply> rp;
  net::cluster_transport_actor_type transport;
  int attempt = 0;
  // Once the membership actor recorded the join: the reply and the store.
  pb::ControlReply joined;
  store::store_actor_type store;
  int polls = 0;
  static inline const char* name = "join";
};

using join_self = join_actor_type::stateful_pointer<join_state>;

void answer(join_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

void refuse(join_self self, const failure& f) {
  answer(self, error_reply(f));
}

// A linearizable read succeeded: this replica heard from the leader and
// applied what was committed when it asked.
void read(join_self self) {
  auto next = [=](bool fresh) {
    auto& st = self->state;
    switch (after_read(fresh, st.polls)) {
      case catch_up_step::done:
        answer(self, st.joined);
        break;
      case catch_up_step::give_up:
        st.joined.set_warning(catch_up_warning);
        answer(self, st.joined);
        break;
      case catch_up_step::poll_again:
        ++st.polls;
        self->delayed_send(self, std::chrono::milliseconds(catch_up_poll_ms),
                           catch_up_poll_atom_v);
        break;
    }
  };
  self->request(self->state.store, store_timeout, read_atom::value)
    .then([=](bool fresh) { next(fresh); }, [=](caf::error&) { next(false); });
}

// Admitted: the membership actor records the swarm and starts the
// components; a new manager then catches up.
void adopt(join_self self, const pb::JoinReply& r) {
  self
    ->request(self->state.cfg.membership, caf::infinite, join_adopt_atom_v, r,
              self->state.cfg.addr)
    .then(
      [=](pb::ControlReply& joined, store::store_actor_type& store) {
        auto& st = self->state;
        st.joined = std::move(joined);
        st.store = std::move(store);
        if (!st.store)
          answer(self, st.joined);
        else
          read(self);
      },
      [=](caf::error& err) { refuse(self, to_failure(err)); });
}

void on_reply(join_self self, const std::string& bytes) {
  auto& st = self->state;
  pb::JoinReply r;
  if (!r.ParseFromString(bytes))
    refuse(self, fail(errc::internal, "malformed join reply"));
  else if (retry_join(r.code(), st.attempt)) {
    ++st.attempt;
    self->delayed_send(self, std::chrono::milliseconds(join_retry_ms),
                       join_retry_atom_v);
  } else if (r.code() != 0)
    refuse(self, fail(static_cast<errc>(r.code()), r.error()));
  else
    adopt(self, r);
}

void send_join(join_self self) {
  auto& st = self->state;
  self
    ->request(st.transport, std::chrono::milliseconds(join_timeout_ms),
              cluster_join_atom::value, st.cfg.remote, st.cfg.pin,
              st.cfg.request.SerializeAsString())
    .then([=](const std::string& bytes) { on_reply(self, bytes); },
          [=](caf::error& err) {
            refuse(self,
                   fail(errc::unavailable, "could not join the swarm through "
                                             + self->state.cfg.remote + ": "
                                             + to_failure(err).message));
          });
}

join_actor_type::behavior_type join_actor(join_self self, join_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](node_join_atom) {
      auto& st = self->state;
      st.rp = self->make_response_promise<pb::ControlReply>();
      self->request(st.cfg.node, caf::infinite, transport_open_atom_v)
        .then(
          [=](net::cluster_transport_actor_type& transport) {
            self->state.transport = std::move(transport);
            send_join(self);
          },
          [=](caf::error& err) { refuse(self, to_failure(err)); });
      return st.rp;
    },
    [=](join_retry_atom) { send_join(self); },
    [=](catch_up_poll_atom) { read(self); },
  };
}

} // namespace

join_actor_type spawn_join(caf::local_actor* parent, join_config cfg) {
  return parent->spawn<caf::linked>(join_actor, std::move(cfg));
}

} // namespace actorswarm::node
