#include "actors/node/role_switch_actor.hpp"

#include <string>
#include <vector>

#include "caf/all.hpp"

#include "actors/ca/join_token.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/node/join_actor.hpp"
#include "messages/caf_error.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

struct role_switch_state {
  role_switch_config cfg;
  caf::typed_response_promise<pb::ControlReply> rp;
  static inline const char* name = "role_switch";
};

using switch_self = role_switch_actor_type::stateful_pointer<role_switch_state>;

void answer(switch_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

// Starts the components (in the role now recorded), then answers `r`.
void start_then_answer(switch_self self, pb::ControlReply r) {
  self->request(self->state.cfg.node, caf::infinite, components_start_atom_v)
    .then([=](bool) { answer(self, r); },
          [=](caf::error&) { answer(self, r); });
}

void become_worker(switch_self self) {
  const auto& rc = self->state.cfg.change;
  std::vector<std::string> managers(rc.managers().begin(), rc.managers().end());
  self
    ->request(self->state.cfg.membership, caf::infinite, node_demoted_atom_v,
              std::move(managers))
    .then([=](bool) { start_then_answer(self, pb::ControlReply{}); },
          [=](caf::error& err) {
            start_then_answer(self, error_reply(to_failure(err)));
          });
}

// Joins with the manager token; runs on as a worker if that fails.
void become_manager(switch_self self) {
  auto& cfg = self->state.cfg;
  const auto& rc = cfg.change;
  auto remote = rc.managers().empty() ? cfg.id.managers.front()
                                      : rc.managers(0);
  auto pin = ca::pinned_ca_digest(rc.token());
  if (!pin)
    return start_then_answer(self, error_reply(pin.error()));
  auto j = spawn_join(self, {cfg.node, cfg.membership, remote,
                             join_request(cfg.id, rc.token(), cfg.id.addr,
                                          cfg.public_key_pem),
                             cfg.id.addr, *pin});
  self->request(j, caf::infinite, node_join_atom_v)
    .then(
      [=](pb::ControlReply& r) {
        if (r.code() == 0)
          answer(self, std::move(r));
        else
          start_then_answer(self, std::move(r));
      },
      [=](caf::error& err) {
        start_then_answer(self, error_reply(to_failure(err)));
      });
}

role_switch_actor_type::behavior_type
role_switch_actor(switch_self self, role_switch_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](role_switch_atom) {
      auto& st = self->state;
      st.rp = self->make_response_promise<pb::ControlReply>();
      self->request(st.cfg.node, caf::infinite, components_stop_atom_v)
        .then(
          [=](bool) {
            if (self->state.cfg.change.manager())
              become_manager(self);
            else
              become_worker(self);
          },
          [=](caf::error& err) { answer(self, error_reply(to_failure(err))); });
      return st.rp;
    },
  };
}

} // namespace

role_switch_actor_type spawn_role_switch(caf::local_actor* parent,
                                         role_switch_config cfg) {
  return parent->spawn<caf::linked>(role_switch_actor, std::move(cfg));
}

} // namespace actorswarm::node
