#include "actors/update/update_engine.hpp"

#include <algorithm>
#include <unordered_map>

#include "actors/orchestrator/task_model.hpp"
#include "actors/update/update_status.hpp"
#include "messages/defaults.hpp"
#include "messages/log.hpp"

namespace actorswarm::update {

using orchestrator::create_action;
using orchestrator::is_terminal;
using orchestrator::set_desired_action;

void step_result::wake_at(int64_t at_ns) {
  if (!wake_at_ns || at_ns < *wake_at_ns)
    wake_at_ns = at_ns;
}

namespace {

// One step of one service: what it reads and what it writes.
struct stepper {
  const pb::Service& svc;
  const outdated_context& ctx;
  int64_t now_ns;
  std::mt19937_64& gen;
  std::vector<slot_view> slots;
  std::unordered_map<std::string, const pb::Task*> by_id;
  /// The service as it will be written back, once anything changed.
  std::optional<pb::Service> svc_write;
  std::vector<pb::StoreAction> task_actions;
  step_result out;

  stepper(const pb::Service& s, const std::vector<pb::Task>& tasks,
          const outdated_context& c, int64_t now, std::mt19937_64& g,
          const outdated_fn& is_outdated)
    : svc(s),
      ctx(c),
      now_ns(now),
      gen(g),
      slots(slots_of(s, tasks, is_outdated)) {
    for (const auto& t : tasks)
      by_id.emplace(t.id(), &t);
  }

  const pb::Service& current() const {
    return svc_write ? *svc_write : svc;
  }

  const pb::Task* task(const std::string& id) const {
    auto i = by_id.find(id);
    return i == by_id.end() ? nullptr : i->second;
  }

  const slot_view* slot(const slot_key& k) const {
    for (const auto& v : slots)
      if (v.key == k)
        return &v;
    return nullptr;
  }

  void shutdown(const pb::Task& t) {
    task_actions.push_back(set_desired_action(t, pb::SHUTDOWN));
  }

  // -- finishing slots mid-replacement ----------------------------------------

  // Stop-first: the new task starts once nothing old may still run there.
  void settle_waiting(const slot_view& v, const pb::Task& waiting) {
    bool wait = false;
    for (const auto* o : v.old) {
      shutdown(*o); // nothing old runs beside a stop-first replacement
      wait = wait || must_wait_for(*o, ctx);
    }
    for (const auto* o : v.stopping)
      wait = wait || must_wait_for(*o, ctx);
    auto deadline = waiting.meta().created_at_ns()
                    + cluster_defaults::update_old_task_timeout_ns;
    if (wait && now_ns < deadline) {
      out.wake_at(deadline);
      return;
    }
    task_actions.push_back(set_desired_action(waiting, pb::RUNNING));
  }

  /// Slots mid-replacement seen by settle().
  size_t in_flight = 0;

  // Whatever the run's state: slots mid-replacement are finished, so a
  // paused or new run never leaves a slot with two tasks or none started.
  void settle() {
    for (const auto& v : slots) {
      if (v.fresh.empty())
        continue;
      in_flight += v.in_flight() ? 1 : 0;
      auto w = std::find_if(v.fresh.begin(), v.fresh.end(), [](auto* t) {
        return t->desired_state() < pb::RUNNING;
      });
      if (w != v.fresh.end()) {
        settle_waiting(v, **w);
        continue;
      }
      // Start-first: the old task goes once the new one is up.
      if (!v.old.empty() && v.fresh_up())
        for (const auto* o : v.old)
          shutdown(*o);
    }
  }

  // -- runs -------------------------------------------------------------------

  run_state begin(const pb::Service& s) {
    run_state r;
    r.spec_version = s.spec_version();
    r.rollback = rolling_back(s);
    r.pol = policy_of(s);
    uint64_t dirty = 0;
    for (const auto& v : slots) {
      if (v.in_flight()) {
        // Mid-replacement (a new leader, or the spec changed under a
        // batch): this run's first batch waits for it.
        const auto& t = *v.fresh.front();
        started_task x;
        x.slot = v.key;
        x.running_since_ns = t.status().state() == pb::RUNNING ? now_ns : 0;
        r.started.emplace(t.id(), x);
        r.batch.emplace(v.key, t.id());
        r.attempted.insert(v.key);
      } else if (v.dirty()) {
        ++dirty;
      }
    }
    r.total = dirty + r.batch.size();
    const auto& us = s.update_status();
    if (r.total == 0) {
      // SwarmKit: nothing to replace, the update is complete at once.
      if (in_progress(us))
        svc_write = complete_update(current(), now_ns);
      r.stopped = true;
    } else if (paused(us)) {
      r.stopped = true; // until the next `service update`
    } else if (!s.has_update_status()
               || us.state() == pb::UpdateStatus::UNKNOWN) {
      svc_write = start_update(current(), now_ns);
    }
    return r;
  }

  // The run's new tasks that ended: the id of the last one that counts as
  // a failure, or empty.
  std::string count_failures(run_state& r) {
    std::string last;
    for (auto& [id, x] : r.started) {
      const auto* t = task(id);
      if (t == nullptr || x.ended)
        continue; // reaped: judged before, or never seen (not ours)
      auto st = t->status().state();
      if (st == pb::RUNNING && x.running_since_ns == 0)
        x.running_since_ns = now_ns;
      if (!is_terminal(st))
        continue;
      x.ended = true;
      bool monitored = x.running_since_ns == 0
                       || now_ns - x.running_since_ns <= r.pol.monitor_ns;
      if (monitored && is_failure(*t)) {
        ++r.failures;
        last = id;
      }
    }
    return last;
  }

  // SwarmKit's failureTriggersAction.
  void fail(run_state& r, const std::string& task_id) {
    r.stopped = true;
    const auto& s = current();
    if (r.pol.failure_action == pb::UpdateConfig::ROLLBACK) {
      if (r.rollback) { // never roll back a rollback
        svc_write = pause_update(s, paused_message(task_id, true));
        return;
      }
      auto x = rollback_update(s, rolled_back_message(task_id));
      if (x) {
        svc_write = std::move(*x);
        return;
      }
      logger("update")->warn("service={} cannot roll back: {}", s.id(),
                             x.error().message);
    }
    svc_write = pause_update(s, paused_message(task_id, false));
  }

  // True when the batch slot `k`, waiting for task `id`, is done.
  bool slot_done(const slot_key& k, const std::string& id) const {
    const auto* t = task(id);
    if (t == nullptr || is_terminal(t->status().state())
        || t->desired_state() > pb::RUNNING)
      return true; // ended: judged by count_failures
    const auto* v = slot(k);
    return v == nullptr || v->fresh_up();
  }

  void replace(const slot_view& v, run_state& r) {
    auto t = orchestrator::new_task(svc, v.key.slot, v.key.node_id, now_ns,
                                    gen);
    if (r.pol.order != pb::UpdateConfig::START_FIRST) {
      bool wait = false;
      for (const auto* o : v.old) {
        shutdown(*o);
        wait = wait || must_wait_for(*o, ctx);
      }
      for (const auto* o : v.stopping)
        wait = wait || must_wait_for(*o, ctx);
      // SwarmKit: created READY, started once the old one stopped; with
      // nothing to wait for it may start at once.
      if (wait)
        t.set_desired_state(pb::READY);
    }
    started_task x;
    x.slot = v.key;
    r.started.emplace(t.id(), x);
    r.batch.emplace(v.key, t.id());
    r.attempted.insert(v.key);
    task_actions.push_back(create_action(std::move(t)));
  }

  void advance(run_state& r) {
    if (paused(svc.update_status()))
      r.stopped = true;
    if (r.stopped)
      return;
    auto failed = count_failures(r);
    if (!failed.empty() && r.pol.failure_action != pb::UpdateConfig::CONTINUE
        && ratio_exceeded(r.failures, r.total, r.pol.max_failure_ratio)) {
      fail(r, failed);
      return;
    }
    if (!r.batch.empty()) {
      for (auto& [k, id] : r.batch)
        if (!slot_done(k, id))
          return;
      r.batch.clear();
      r.batch_up_at_ns = now_ns;
    }
    auto todo = next_batch(slots, r.attempted, r.pol.parallelism);
    if (todo.empty()) {
      auto end_ns = r.batch_up_at_ns ? *r.batch_up_at_ns + r.pol.monitor_ns
                                     : now_ns;
      if (now_ns < end_ns) {
        out.wake_at(end_ns);
        return;
      }
      if (in_progress(current().update_status()))
        svc_write = complete_update(current(), now_ns);
      r.stopped = true;
      return;
    }
    if (r.batch_up_at_ns) {
      auto next_ns = *r.batch_up_at_ns
                     + std::max(r.pol.delay_ns, r.pol.monitor_ns);
      if (now_ns < next_ns) {
        out.wake_at(next_ns);
        return;
      }
    }
    for (const auto* v : todo)
      replace(*v, r);
  }

  step_result finish() {
    if (svc_write) {
      pb::StoreAction a;
      a.set_kind(pb::StoreAction::UPDATE);
      *a.mutable_service() = std::move(*svc_write);
      out.actions.push_back(std::move(a));
    }
    for (auto& a : task_actions)
      out.actions.push_back(std::move(a));
    return std::move(out);
  }
};

} // namespace

step_result update_engine::step(const std::string& id, const pb::Service* s,
                                const std::vector<pb::Task>& tasks,
                                const outdated_context& ctx, int64_t now_ns,
                                std::mt19937_64& gen) {
  pending_.erase(id);
  if (s == nullptr) {
    runs_.erase(id);
    memo_.erase(id);
    return {};
  }
  // A verdict holds while the service's spec_version, the task's
  // allocation (networks and endpoint come with PENDING) and its node's
  // version stay as they were; tasks gone from the service drop out.
  auto& known = memo_[id];
  memo_table next;
  auto is_outdated = [&](const pb::Task& t) {
    const auto* n = t.node_id().empty() ? nullptr : ctx.node(t.node_id());
    memo_entry e;
    e.spec_version = s->spec_version();
    e.allocated = t.status().state() >= pb::PENDING;
    e.node_version = n != nullptr ? n->meta().version() : 0;
    auto i = known.find(t.id());
    e.verdict = i != known.end() && i->second.same_inputs(e)
                  ? i->second.verdict
                  : outdated(*s, t, ctx);
    next[t.id()] = e;
    return e.verdict;
  };
  stepper x{*s, tasks, ctx, now_ns, gen, is_outdated};
  known = std::move(next);
  x.settle();
  auto i = runs_.find(id);
  auto r = i != runs_.end() && i->second.spec_version == s->spec_version()
             ? i->second
             : x.begin(*s);
  x.advance(r);
  auto out = x.finish();
  r.quiet = r.stopped && x.in_flight == 0 && out.actions.empty()
            && !out.wake_at_ns;
  pending_[id] = std::move(r);
  if (out.actions.empty())
    accept(id);
  return out;
}

void update_engine::accept(const std::string& id) {
  auto i = pending_.find(id);
  if (i == pending_.end())
    return;
  runs_[id] = std::move(i->second);
  pending_.erase(i);
}

void update_engine::reject(const std::string& id) {
  pending_.erase(id);
}

bool update_engine::idle(const std::string& id, uint64_t spec_version) const {
  auto i = runs_.find(id);
  return i != runs_.end() && i->second.spec_version == spec_version
         && i->second.quiet && pending_.count(id) == 0;
}

const run_state* update_engine::find(const std::string& id) const {
  auto i = runs_.find(id);
  return i == runs_.end() ? nullptr : &i->second;
}

} // namespace actorswarm::update
