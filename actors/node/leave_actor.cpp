#include "actors/node/leave_actor.hpp"

#include <chrono>
#include <csignal>
#include <vector>

#include "caf/all.hpp"

#include "actors/control/control_logic.hpp"
#include "actors/network/data_plane.hpp"
#include "actors/node/leave.hpp"
#include "actors/node/role_change_actor.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"

namespace actorswarm::node {

namespace {

using control::error_reply;

using store::store_timeout;

struct leave_state {
  leave_config cfg;
  caf::typed_response_promise<pb::ControlReply> rp;
  // The task processes being stopped and the checks so far.
  std::vector<task::process_record> procs;
  int64_t checks = 0;
  static inline const char* name = "leave";
};

using leave_self = leave_actor_type::stateful_pointer<leave_state>;

void answer(leave_self self, pb::ControlReply r) {
  self->state.rp.deliver(std::move(r));
  self->quit();
}

auto refuse_with(leave_self self) {
  return [=](caf::error& err) { answer(self, error_reply(to_failure(err))); };
}

// Every leave_check_interval_ms until the stopped task processes are gone;
// SIGKILL for what outlives the stop grace period.
void check_stopped(leave_self self) {
  auto& st = self->state;
  st.procs = still_alive(st.procs);
  switch (next_stop_check(st.procs.size(), st.checks)) {
    case stop_check::wait:
      ++st.checks;
      self->delayed_send(self,
                         std::chrono::milliseconds(leave_check_interval_ms),
                         leave_check_atom_v);
      return;
    case stop_check::kill:
      logger("node")->warn("{} task processes outlived the stop grace "
                           "period, sending SIGKILL",
                           st.procs.size());
      signal_groups(st.procs, SIGKILL);
      break;
    case stop_check::done:
      break;
  }
  // The node's namespaces, devices and rules go with it (its tasks are
  // gone; a daemon that only restarts keeps them for the next one).
  if (auto ok = network::clear_data_plane(st.cfg.netns_dir, st.cfg.id.node_id);
      !ok)
    logger("node")->warn("leaving the swarm: network data plane: {}",
                         ok.error().message);
  answer(self, pb::ControlReply{});
}

// The components are gone: nobody restarts a task any more. Stop them.
void components_gone(leave_self self) {
  auto& st = self->state;
  st.procs = live_task_processes(*st.cfg.records);
  logger("node")->info("leaving the swarm: stopping {} task processes",
                       st.procs.size());
  signal_groups(st.procs, SIGTERM);
  st.checks = 0;
  check_stopped(self);
}

void stop_components(leave_self self) {
  self->request(self->state.cfg.node, caf::infinite, components_stop_atom_v)
    .then([=](bool) { components_gone(self); }, refuse_with(self));
}

// A manager of several leaves the Raft group through the leader first: a
// demote of itself, which marks its node Down in the same write.
void leave_raft_group(leave_self self) {
  auto& cfg = self->state.cfg;
  pb::ControlRequest req;
  req.mutable_node_role()->add_refs(cfg.id.node_id);
  req.mutable_node_role()->set_role(pb::NodeSpec::WORKER);
  req.mutable_node_role()->set_leaving(true);
  auto change = spawn_role_change(self, cfg.store, cfg.transport, *cfg.clk,
                                  std::move(req));
  self->request(change, caf::infinite, role_change_atom_v)
    .then(
      [=](pb::ControlReply& r) {
        if (r.code() != 0 && !self->state.cfg.force)
          answer(self, std::move(r));
        else
          stop_components(self);
      },
      refuse_with(self));
}

// A manager: refused when it would lose quorum (unless forced).
void check_quorum(leave_self self, const raft::raft_status_ptr& s,
                  const store_view_ptr& v) {
  auto& cfg = self->state.cfg;
  auto managers = static_cast<size_t>(s->members.voters_size());
  auto reachable = control::reachable_managers(*v, *s);
  if (auto refusal = leave_refusal(cfg.id, cfg.force, managers, reachable))
    answer(self, error_reply(*refusal));
  else if (managers <= 1)
    stop_components(self);
  else
    leave_raft_group(self);
}

void ask_view(leave_self self, const raft::raft_status_ptr& s) {
  self->request(self->state.cfg.store, store_timeout, view_atom::value)
    .then([=](const store_view_ptr& v) { check_quorum(self, s, v); },
          refuse_with(self));
}

void leave(leave_self self) {
  auto& cfg = self->state.cfg;
  if (cfg.id.worker || !cfg.store) {
    stop_components(self);
    return;
  }
  self->request(cfg.store, store_timeout, raft_status_atom::value)
    .then([=](const raft::raft_status_ptr& s) { ask_view(self, s); },
          refuse_with(self));
}

leave_actor_type::behavior_type leave_actor(leave_self self, leave_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](node_leave_atom) {
      self->state.rp = self->make_response_promise<pb::ControlReply>();
      leave(self);
      return self->state.rp;
    },
    [=](leave_check_atom) { check_stopped(self); },
  };
}

} // namespace

leave_actor_type spawn_leave(caf::local_actor* parent, leave_config cfg) {
  return parent->spawn<caf::linked>(leave_actor, std::move(cfg));
}

} // namespace actorswarm::node
