#include "actors/node/join_actor.hpp"

#include <chrono>

#include "caf/all.hpp"

#include "actors/node/membership_steps.hpp"
#include "messages/caf_error.hpp"

namespace actorswarm::node {

namespace {

/// How long a read waits on the store.
constexpr auto store_timeout = std::chrono::seconds(30);

struct join_state {
  caf::actor transport;
  std::string remote;
  pb::JoinRequest request;
  int attempt = 0;
  caf::typed_response_promise<pb::JoinReply> joined;
  caf::actor store;
  int polls = 0;
  caf::typed_response_promise<bool> caught_up;
  static inline const char* name = "join";
};

using join_self = join_actor_type::stateful_pointer<join_state>;

// Answers the join and, when it failed, ends: nothing follows.
void answer(join_self self, const pb::JoinReply& r) {
  self->state.joined.deliver(r);
  if (r.code() != 0)
    self->quit();
}

pb::JoinReply failed(errc code, const std::string& message) {
  pb::JoinReply r;
  r.set_code(static_cast<uint32_t>(code));
  r.set_error(message);
  return r;
}

void on_reply(join_self self, const std::string& bytes) {
  auto& st = self->state;
  pb::JoinReply r;
  if (!r.ParseFromString(bytes)) {
    answer(self, failed(errc::internal, "malformed join reply"));
    return;
  }
  if (retry_join(r.code(), st.attempt)) {
    ++st.attempt;
    self->delayed_send(self, std::chrono::milliseconds(join_retry_ms),
                       join_retry_atom_v);
    return;
  }
  answer(self, r);
}

void send_join(join_self self) {
  auto& st = self->state;
  self
    ->request(st.transport, std::chrono::milliseconds(join_timeout_ms),
              rpc_atom::value, st.remote,
              static_cast<int32_t>(pb::Envelope::JOIN),
              st.request.SerializeAsString())
    .then([=](const std::string& bytes) { on_reply(self, bytes); },
          [=](caf::error& err) {
            answer(self, failed(errc::unavailable,
                                "could not join the swarm through "
                                  + self->state.remote + ": "
                                  + to_failure(err).message));
          });
}

void caught_up(join_self self, bool fresh) {
  self->state.caught_up.deliver(fresh);
  self->quit();
}

// A linearizable read succeeded: this replica heard from the leader and
// applied what was committed when it asked.
void read(join_self self) {
  auto next = [=](bool fresh) {
    auto& st = self->state;
    switch (after_read(fresh, st.polls)) {
      case catch_up_step::done:
        caught_up(self, true);
        break;
      case catch_up_step::give_up:
        caught_up(self, false);
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

join_actor_type::behavior_type join_actor(join_self self, caf::actor transport,
                                          std::string remote,
                                          pb::JoinRequest jr) {
  auto& st = self->state;
  st.transport = std::move(transport);
  st.remote = std::move(remote);
  st.request = std::move(jr);
  return {
    [=](node_join_atom) {
      self->state.joined = self->make_response_promise<pb::JoinReply>();
      send_join(self);
      return self->state.joined;
    },
    [=](join_retry_atom) { send_join(self); },
    [=](catch_up_atom, caf::actor& store) {
      auto& st = self->state;
      st.caught_up = self->make_response_promise<bool>();
      st.store = std::move(store);
      if (!st.store)
        caught_up(self, true);
      else
        read(self);
      return st.caught_up;
    },
    [=](catch_up_poll_atom) { read(self); },
  };
}

} // namespace

join_actor_type spawn_join(caf::local_actor* parent, caf::actor transport,
                           std::string remote, pb::JoinRequest jr) {
  return parent->spawn<caf::linked>(join_actor, std::move(transport),
                                    std::move(remote), std::move(jr));
}

} // namespace actorswarm::node
