// `swarm leave [--force]` (node_state_actor.hpp): stop the components,
// wait for them, stop the task processes, wipe the swarm state.

#include <csignal>

#include "actors/node/leave.hpp"
#include "actors/node/node_state_actor.hpp"
#include "actors/control/control_logic.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

using control::error_reply;

namespace {

// Last step of a leave: the processes are gone (or got SIGKILL); wipe the
// swarm state, forget the cluster and answer.
void finish_leave(node_actor_t* self) {
  auto& st = self->state;
  wipe_swarm_state(*st.dir);
  st.id = load_identity(st.dir->node_state(), st.cfg.hostname);
  st.leaving = false;
  st.procs.clear();
  logger("node")->info("left the swarm node_id={}", st.id.node_id);
  pb::ControlReply ok;
  ok.set_text("Node left the swarm.");
  st.leave_rp.deliver(ok);
}

} // namespace

// Every leave_check_interval_ms until the stopped task processes are gone;
// SIGKILL for what outlives the stop grace period.
void check_stopped(node_actor_t* self) {
  auto& st = self->state;
  st.procs = still_alive(st.procs);
  if (!st.procs.empty()
      && st.leave_checks * leave_check_interval_ms < leave_stop_grace_ms) {
    ++st.leave_checks;
    self->delayed_send(self,
                       std::chrono::milliseconds(leave_check_interval_ms),
                       kill_atom::value);
    return;
  }
  if (!st.procs.empty()) {
    logger("node")->warn("{} task processes outlived the stop grace period, "
                         "sending SIGKILL", st.procs.size());
    signal_groups(st.procs, SIGKILL);
  }
  finish_leave(self);
}

// The components are gone: nobody restarts a task any more. Stop them.

void components_gone(node_actor_t* self) {
  auto& st = self->state;
  st.procs = live_task_processes(st.dir->task_records());
  logger("node")->info("leaving the swarm: stopping {} task processes",
                       st.procs.size());
  signal_groups(st.procs, SIGTERM);
  st.leave_checks = 0;
  check_stopped(self);
}

reply_t swarm_leave(node_actor_t* self, bool force) {
  auto& st = self->state;
  if (st.leaving || st.joining || st.on_stopped)
    return error_reply(fail(errc::refused, "this node is busy joining, "
                                           "leaving or restarting"));
  if (auto refusal = leave_refusal(st.id, true))
    return error_reply(*refusal);
  auto rp = self->make_response_promise();
  auto go = [=]() mutable {
    auto& st = self->state;
    st.leaving = true;
    st.leave_rp = rp;
    stop_components(self, [self] { components_gone(self); });
  };
  if (st.id.worker || !st.store) {
    go();
    return caf::delegated<pb::ControlReply>{};
  }
  // A manager: refused when it would lose quorum (unless forced); else it
  // first leaves the Raft group through the leader (a forced leave goes on
  // when that fails).
  self->request(st.store, store_timeout, raft_status_atom::value)
    .then(
      [=](const raft::raft_status_ptr& s) mutable {
        self->request(self->state.store, store_timeout, view_atom::value)
          .then(
            [=](const store_view_ptr& v) mutable {
              auto managers = static_cast<size_t>(s->members.voters_size());
              auto reachable = control::reachable_managers(*v, *s);
              if (auto refusal = leave_refusal(self->state.id, force,
                                               managers, reachable)) {
                rp.deliver(error_reply(*refusal));
                return;
              }
              if (managers <= 1) {
                go();
                return;
              }
              leave_raft_group(self, [=](pb::ControlReply r) mutable {
                if (r.code() != 0 && !force) {
                  rp.deliver(r);
                  return;
                }
                go();
              });
            },
            [=](caf::error& err) mutable {
              rp.deliver(error_reply(to_failure(err)));
            });
      },
      [=](caf::error& err) mutable {
        rp.deliver(error_reply(to_failure(err)));
      });
  return caf::delegated<pb::ControlReply>{};
}

} // namespace actorswarm::node
