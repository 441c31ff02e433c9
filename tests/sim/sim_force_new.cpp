// Force-new-cluster in the middle of a run, as recover_actor runs it (take
// the store's view, stop the components, raft::force_new_cluster on the
// node's stores with crash points inside, again after a crash, start
// again): issue #9 defect 3.

#include "sim/simulation.hpp"

#include "actors/raft/force_new_cluster.hpp"

namespace actorswarm::sim::detail {

void simulation::force_new_cluster(sim_node&) {
  // On the leader of a cluster that ran whole for a while (the schedule
  // keeps faults away before it): what it committed is all that was
  // acknowledged, so nothing may be lost.
  sim_node* pick = nullptr;
  for (auto& m : nodes_)
    if (m->up && m->started && m->is_leader
        && (!pick || m->last_leader_term > pick->last_leader_term))
      pick = m.get();
  if (!pick) {
    trace("force-new-cluster skipped: no leader");
    return;
  }
  auto& n = *pick;
  // The view recover_actor takes before it stops the components.
  auto view = ask_view(n);
  if (!view || view->applied == 0) {
    trace("force-new-cluster skipped: nothing applied");
    return;
  }
  // Stopping the components is asynchronous: the cluster runs on for a
  // while (clients too), so the log may commit past the view's applied
  // index and hold entries after it.
  run_until(now_ + fnc_rng_() % 400);
  if (!n.up || !result_.violation.empty())
    return;
  trace("n" + std::to_string(n.id) + " force-new-cluster at applied "
        + std::to_string(view->applied) + " (durable commit "
        + std::to_string(n.log.hard_state().commit()) + ")");
  // Every other manager is gone for good: their operator removed them.
  for (auto& m : nodes_)
    if (m->id != n.id) {
      crash(*m, "sim: removed for force-new-cluster");
      m->removed = true;
    }
  // Stop n's components (a clean stop: nothing volatile is lost), then
  // rewrite its Raft state, maybe crashing inside; after a crash the
  // operator runs it again.
  crash(n, "sim: components stopped for force-new-cluster");
  run_messages();
  n.log.stop();
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt < 2 && fnc_rng_() % 2 == 0)
      n.faults.arm(1 + fnc_rng_() % 4,
                   fnc_rng_() % 2 ? crash_mode::after : crash_mode::before);
    result<raft::forced_cluster> meta = fail(errc::internal, "not run");
    try {
      meta = raft::force_new_cluster(n.log, n.snaps, view->state, view->applied,
                                     member(n.id));
    } catch (const sim_fatal& e) {
      // A crashed process stops at its crash point; whatever the rest of
      // the call then trips over never happened.
      if (n.faults.frozen) {
        trace("n" + std::to_string(n.id)
              + " crashed inside force-new-cluster: " + n.faults.why);
        n.log.crash();
        continue;
      }
      // The operator sees the tool stop with this line.
      if (injected(e.what)) {
        n.log.crash();
        continue;
      }
      violation("force-new-cluster on node " + std::to_string(n.id)
                + " stopped: " + e.what);
      return;
    }
    if (n.faults.frozen) {
      trace("n" + std::to_string(n.id)
            + " crashed inside force-new-cluster: " + n.faults.why);
      n.log.crash();
      continue;
    }
    n.faults.crash_at = 0;
    if (!meta) {
      // Nothing rewritten: the operator runs it again.
      trace("force-new-cluster failed: " + meta.error().message);
      continue;
    }
    break;
  }
  n.faults.crash_at = 0;
  n.bootstrap = false;
  restart(n);
}

std::optional<simulation::view_info> simulation::ask_view(sim_node& n) {
  auto h = fx_.self->request(n.store, caf::infinite, view_atom::value);
  run_messages();
  if (fx_.self->mailbox().empty())
    return std::nullopt;
  std::optional<view_info> out;
  h.receive(
    [&](const store_view_ptr& v) {
      out = view_info{v->applied_index(), v->snapshot().SerializeAsString()};
    },
    [&](caf::error&) {});
  return out;
}

} // namespace actorswarm::sim::detail
