#include "actors/orchestrator/instance.hpp"

#include <algorithm>

namespace actorswarm::orchestrator {

namespace {

// Runnable first; among runnable the most advanced, then the newest; among
// dead the newest. The first element is the one the instance keeps.
bool keep_before(const pb::Task* x, const pb::Task* y) {
  auto rx = is_runnable(*x);
  auto ry = is_runnable(*y);
  if (rx != ry)
    return rx;
  if (rx && x->status().state() != y->status().state())
    return x->status().state() > y->status().state();
  return newer_than(*x, *y);
}

void shutdown_all(const std::vector<const pb::Task*>& xs, size_t first,
                  reconcile_result& out) {
  for (auto i = first; i < xs.size(); ++i)
    out.actions.emplace_back(set_desired_action(*xs[i], pb::SHUTDOWN));
}

// Several runnable tasks of which some run the service's current
// spec_version and some an older one: a rolling update is replacing this
// instance (start-first runs the new task beside the old one until it is
// up). The update actor finishes it (actors/update/update_engine.hpp), so
// reconcile must not shut either down.
bool update_owns(const pb::Service& service,
                 std::vector<const pb::Task*>::const_iterator first,
                 std::vector<const pb::Task*>::const_iterator last) {
  bool fresh = false, old = false;
  for (auto i = first; i != last; ++i) {
    const auto* t = *i;
    if (t->spec_version() == service.spec_version())
      fresh = true;
    else
      old = true;
  }
  return fresh && old;
}

void create(const pb::Service& service, const instance& x, int64_t now_ns,
            std::mt19937_64& gen, reconcile_result& out) {
  out.actions.emplace_back(create_action(new_task(service, x.slot, x.node_id,
                                                  now_ns, gen)));
}

} // namespace

void reconcile_instance(const pb::Service& service, instance x,
                        restart_tracker& restarts, int64_t now_ns,
                        std::mt19937_64& gen, reconcile_result& out) {
  auto& ts = x.tasks;
  std::sort(ts.begin(), ts.end(), keep_before);
  if (!ts.empty() && is_runnable(*ts.front())) {
    auto live = std::partition_point(ts.cbegin(), ts.cend(),
                                     [](auto* t) { return is_runnable(*t); });
    if (update_owns(service, ts.cbegin(), live)) {
      // Only the dead leftovers go; the live ones are the update's.
      shutdown_all(ts, static_cast<size_t>(live - ts.cbegin()), out);
      return;
    }
    // Never two runnable tasks per instance: keep one, stop the others.
    shutdown_all(ts, 1, out);
    return;
  }
  if (ts.empty() || x.reschedule) {
    shutdown_all(ts, 0, out);
    create(service, x, now_ns, gen, out);
    return;
  }
  // The newest dead task is the instance's current one; older leftovers that
  // are still desired RUNNING get SHUTDOWN so they count as history.
  shutdown_all(ts, 1, out);
  const auto& cur = *ts.front();
  if (cur.spec_version() != service.spec_version()) {
    // The service changed since this task ran: its restart policy no longer
    // applies, a task of the new spec does (SwarmKit's updater).
    out.actions.emplace_back(set_desired_action(cur, pb::SHUTDOWN));
    create(service, x, now_ns, gen, out);
    return;
  }
  auto d = restarts.decide(cur, now_ns);
  switch (d.verdict) {
    case restart_verdict::now:
      out.actions.emplace_back(set_desired_action(cur, pb::SHUTDOWN));
      create(service, x, now_ns, gen, out);
      restarts.record_restart(cur, now_ns);
      break;
    case restart_verdict::later:
      out.wake_at(d.at_ns);
      break;
    case restart_verdict::never:
      // Giving up: the dead task stays the instance's current task, desired
      // RUNNING, so later passes do not refill the instance; a spec update
      // (new spec_version) replaces it.
      break;
  }
}

} // namespace actorswarm::orchestrator
