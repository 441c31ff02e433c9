#pragma once

// A small world for the update engine's tests: one service, its tasks, the
// orchestrator's reconcile, the update engine and a fake agent that moves
// every task one step per round, all applied the way the store applies
// batches (versions checked). Time moves only when nothing else does.

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "actors/orchestrator/reconcile.hpp"
#include "actors/update/update_engine.hpp"
#include "actors/update/update_status.hpp"
#include "unit/orchestrator/fixtures.hpp"

namespace actorswarm::update::test {

using orchestrator::test::make_node;
using orchestrator::test::sec_ns;
using orchestrator::test::t0_ns;

struct world {
  pb::Service svc;
  std::vector<pb::Task> tasks;
  orchestrator::node_map nodes;
  orchestrator::restart_tracker restarts;
  update_engine engine;
  std::mt19937_64 gen{11};
  int64_t now_ns = t0_ns;
  std::optional<int64_t> wake_ns;
  /// Tasks that fail this long after they started running (nullopt: never).
  std::function<std::optional<int64_t>(const pb::Task&)> fails_after;
  /// When each task started running.
  std::map<std::string, int64_t> running_at;
  /// Ids of the tasks the update engine created, and the most slots
  /// mid-replacement at once.
  std::set<std::string> created;
  size_t in_flight_max = 0;
  /// Checks after every agent move.
  size_t up_min = std::numeric_limits<size_t>::max();
  size_t processes_per_slot_max = 0;

  explicit world(uint64_t replicas,
                 pb::ServiceSpec::Mode mode = pb::ServiceSpec::REPLICATED) {
    svc = orchestrator::test::make_service("s1", replicas, mode);
    svc.mutable_spec()->mutable_task()->mutable_container()->add_command(
      "sleep");
    nodes["n1"] = make_node("n1");
    if (mode == pb::ServiceSpec::GLOBAL)
      for (auto id : {"n2", "n3"})
        nodes[id] = make_node(id);
  }

  outdated_context ctx() const {
    outdated_context c;
    c.node_of = [this](const std::string& id) -> const pb::Node* {
      auto i = nodes.find(id);
      return i == nodes.end() ? nullptr : &i->second;
    };
    return c;
  }

  // -- the store --------------------------------------------------------------

  void apply(const std::vector<pb::StoreAction>& xs, bool by_engine = false) {
    for (const auto& a : xs) {
      if (a.has_service()) {
        REQUIRE(a.service().meta().version() == svc.meta().version());
        svc = a.service();
        svc.mutable_meta()->set_version(svc.meta().version() + 1);
        continue;
      }
      if (a.kind() == pb::StoreAction::CREATE) {
        if (by_engine)
          created.insert(a.task().id());
        auto t = a.task();
        t.mutable_meta()->set_created_at_ns(now_ns);
        tasks.push_back(t);
        continue;
      }
      orchestrator::test::apply_actions(tasks, {a});
    }
  }

  /// `service update` as the control rules make it.
  template <class Edit>
  void update(Edit edit) {
    *svc.mutable_previous_spec() = svc.spec();
    edit(*svc.mutable_spec());
    svc.set_spec_version(svc.spec_version() + 1);
    if (spec_changes_tasks(svc.previous_spec(), svc.spec()))
      *svc.mutable_update_status() = updating_status(now_ns);
    svc.mutable_meta()->set_version(svc.meta().version() + 1);
  }

  /// A new command argument: every task outdated.
  void update_env(const std::string& kv) {
    update([&](pb::ServiceSpec& s) {
      s.mutable_task()->mutable_container()->add_env(kv);
    });
  }

  // -- the leader -------------------------------------------------------------

  bool reconcile() {
    auto r = orchestrator::reconcile_service(&svc, tasks, nodes, {}, restarts,
                                             now_ns, gen);
    apply(r.actions);
    return !r.actions.empty();
  }

  bool step() {
    auto r = engine.step(svc.id(), &svc, tasks, ctx(), now_ns, gen);
    apply(r.actions, true);
    engine.accept(svc.id());
    if (r.wake_at_ns)
      wake_at(*r.wake_at_ns);
    return !r.actions.empty();
  }

  // -- the agent ----------------------------------------------------------------

  bool has_check(const pb::Task& t) const {
    return t.spec().container().healthcheck().test_size() > 0;
  }

  // One step of `t` towards its desired state; true when it moved.
  bool move(pb::Task& t) {
    auto& st = *t.mutable_status();
    auto state = st.state();
    if (orchestrator::is_terminal(state))
      return false;
    if (t.desired_state() > pb::RUNNING) {
      st.set_state(pb::SHUTDOWN);
    } else if (t.node_id().empty()) {
      t.set_node_id("n1");
      st.set_state(pb::ASSIGNED);
    } else if (state < pb::READY) {
      st.set_state(pb::READY);
    } else if (state == pb::READY && t.desired_state() == pb::RUNNING) {
      st.set_state(pb::RUNNING);
      st.set_health(has_check(t) ? pb::TaskStatus::STARTING
                                 : pb::TaskStatus::NONE);
      running_at[t.id()] = now_ns;
    } else if (state == pb::RUNNING) {
      auto after = fails_after ? fails_after(t) : std::nullopt;
      if (after && now_ns >= running_at[t.id()] + *after) {
        st.set_state(pb::FAILED);
      } else if (st.health() == pb::TaskStatus::STARTING) {
        st.set_health(pb::TaskStatus::HEALTHY);
      } else {
        if (after)
          wake_at(running_at[t.id()] + *after);
        return false;
      }
    } else {
      return false;
    }
    st.set_timestamp_ns(now_ns);
    t.mutable_meta()->set_version(t.meta().version() + 1);
    return true;
  }

  void wake_at(int64_t at_ns) {
    if (!wake_ns || at_ns < *wake_ns)
      wake_ns = at_ns;
  }

  bool work() {
    bool moved = false;
    for (auto& t : tasks)
      moved = move(t) || moved;
    check();
    return moved;
  }

  void check() {
    std::map<update::slot_key, size_t> procs;
    std::set<update::slot_key> up, mid;
    for (const auto& t : tasks) {
      auto st = t.status().state();
      if (st >= pb::STARTING && st <= pb::RUNNING)
        ++procs[key_of(t)];
      if (is_up(t) && t.desired_state() <= pb::RUNNING)
        up.insert(key_of(t));
    }
    for (auto& [k, n] : procs)
      processes_per_slot_max = std::max(processes_per_slot_max, n);
    up_min = std::min(up_min, up.size());
    auto is_old = [this](const pb::Task& t) { return outdated(svc, t, ctx()); };
    size_t n = 0;
    for (auto& v : slots_of(svc, tasks, is_old))
      n += v.in_flight() ? 1 : 0;
    in_flight_max = std::max(in_flight_max, n);
  }

  /// Rounds of reconcile, update step and agent moves; when nothing moves,
  /// time jumps to the next wakeup. Stops when `done()` or after `rounds_max`.
  template <class Pred>
  bool run_until(Pred done, int rounds_max = 2'000) {
    for (int i = 0; i < rounds_max; ++i) {
      if (done())
        return true;
      wake_ns.reset();
      bool busy = reconcile();
      busy = step() || busy;
      busy = work() || busy;
      if (!busy) {
        if (!wake_ns)
          return done();
        now_ns = std::max(now_ns, *wake_ns);
      }
    }
    return done();
  }

  size_t up_count() const {
    size_t n = 0;
    for (const auto& t : tasks)
      n += is_up(t) && t.desired_state() <= pb::RUNNING ? 1 : 0;
    return n;
  }

  /// Up tasks whose spec has env `kv`.
  size_t up_with(const std::string& kv) const {
    size_t n = 0;
    for (const auto& t : tasks) {
      auto& env = t.spec().container().env();
      if (is_up(t) && t.desired_state() <= pb::RUNNING
          && std::find(env.begin(), env.end(), kv) != env.end())
        ++n;
    }
    return n;
  }

  pb::UpdateStatus::State state() const {
    return svc.update_status().state();
  }

  /// Starts the service and runs it until every replica is up, then forgets
  /// the invariants' history.
  void start(size_t expected) {
    REQUIRE(run_until([&] { return up_count() == expected; }));
    created.clear();
    up_min = std::numeric_limits<size_t>::max();
    processes_per_slot_max = 0;
    in_flight_max = 0;
  }
};

} // namespace actorswarm::update::test
