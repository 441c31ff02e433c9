// Seeded simulation of the orchestrator loop: random failures, scaling,
// node drains/pauses/removals and time steps, each followed by reconcile,
// the reaper and a crude scheduler+worker. Checks after every step:
// reconcile is idempotent, each instance holds exactly one task desired
// RUNNING where it should and none elsewhere, history stays within the
// limit. Every seed runs twice and the final states must match.
// AS_SEED=<n> replays one seed; AS_SEEDS=<n> runs that many.

#include "actors/orchestrator/reconcile.hpp"

#include <cstdlib>

#include "actors/orchestrator/task_reaper.hpp"
#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

constexpr uint64_t history_limit = 2;

struct sim {
  std::mt19937_64 rng;
  std::mt19937_64 gen;
  pb::Service svc;
  node_map nodes;
  std::vector<pb::Task> tasks;
  restart_tracker restarts;
  int64_t now_ns = t0_ns;
  int next_node = 0;

  explicit sim(uint64_t seed) : rng(seed), gen(seed ^ 0x5eed) {
    bool global = rng() % 2 == 0;
    svc = make_service("s1", rng() % 5,
                       global ? pb::ServiceSpec::GLOBAL
                              : pb::ServiceSpec::REPLICATED);
    auto* p = svc.mutable_spec()->mutable_task()->mutable_restart();
    p->set_condition(static_cast<pb::RestartPolicy::Condition>(rng() % 3));
    p->set_delay_ns(static_cast<int64_t>(rng() % 3) * 2 * sec_ns);
    p->set_max_attempts(rng() % 4);
    p->set_window_ns(rng() % 2 == 0 ? 0 : 30 * sec_ns);
    for (int i = 0; i < 4; ++i)
      add();
  }

  void add() {
    auto id = "n" + std::to_string(++next_node);
    add_node(nodes, make_node(id));
  }

  pb::Task* pick_runnable() {
    std::vector<pb::Task*> xs;
    for (auto& t : tasks)
      if (is_runnable(t) && t.status().state() == pb::RUNNING)
        xs.push_back(&t);
    return xs.empty() ? nullptr : xs[rng() % xs.size()];
  }

  pb::Node* pick_node() {
    if (nodes.empty())
      return nullptr;
    auto i = nodes.begin();
    std::advance(i, static_cast<long>(rng() % nodes.size()));
    return &i->second;
  }

  void random_event() {
    switch (rng() % 8) {
      case 0:
      case 1:
        if (auto* t = pick_runnable()) {
          bool ok = rng() % 2 == 0;
          t->mutable_status()->set_state(ok ? pb::COMPLETE : pb::FAILED);
          t->mutable_status()->set_exit_code(ok ? 0 : 1);
          t->mutable_status()->set_timestamp_ns(now_ns);
        }
        break;
      case 2:
        svc.mutable_spec()->set_replicas(rng() % 6);
        break;
      case 3:
        if (auto* n = pick_node())
          n->mutable_spec()->set_availability(
            static_cast<pb::NodeSpec::Availability>(rng() % 3));
        break;
      case 4:
        if (auto* n = pick_node())
          n->mutable_status()->set_state(rng() % 2 == 0
                                           ? pb::NodeStatus::DOWN
                                           : pb::NodeStatus::READY);
        break;
      case 5:
        if (auto* n = pick_node(); n != nullptr && rng() % 3 == 0)
          nodes.erase(n->id());
        else
          add();
        break;
      case 6:
        svc.set_spec_version(svc.spec_version() + 1);
        break;
      default:
        now_ns += static_cast<int64_t>(rng() % 10) * sec_ns;
        break;
    }
  }

  // Scheduler and workers, crudely: unassigned tasks go to a random active
  // node; tasks on ready nodes follow their desired state.
  void run_cluster() {
    std::vector<std::string> active;
    for (const auto& [id, n] : nodes)
      if (fate_of(nodes, id) == node_fate::active)
        active.push_back(id);
    for (auto& t : tasks) {
      if (is_terminal(t.status().state()))
        continue;
      if (t.node_id().empty() && !active.empty() && is_runnable(t))
        t.set_node_id(active[rng() % active.size()]);
      auto f = fate_of(nodes, t.node_id());
      if (t.node_id().empty() || f == node_fate::down || f == node_fate::removed
          || f == node_fate::unreachable)
        continue;
      t.mutable_status()->set_state(is_runnable(t) ? pb::RUNNING
                                                   : pb::SHUTDOWN);
      t.mutable_status()->set_timestamp_ns(now_ns);
    }
  }

  void check_instances() {
    std::map<std::string, int> wanted;
    for (const auto& t : tasks)
      if (is_desired_running(t))
        ++wanted[t.slot() == 0 ? t.node_id() : std::to_string(t.slot())];
    for (const auto& [k, n] : wanted)
      CHECK(n == 1);
    if (svc.spec().mode() == pb::ServiceSpec::REPLICATED) {
      CHECK(wanted.size() == svc.spec().replicas());
      return;
    }
    for (const auto& [id, n] : nodes)
      if (fate_of(nodes, id) == node_fate::active)
        CHECK(wanted.count(id) == 1);
    for (const auto& [id, n] : wanted) {
      auto f = fate_of(nodes, id);
      CHECK(f != node_fate::removed);
      CHECK(f != node_fate::drained);
    }
  }

  void check_history() {
    std::map<restart_key, uint64_t> old;
    for (const auto& t : tasks)
      if (!is_desired_running(t) && is_finished(t))
        ++old[key_of(t)];
    for (const auto& [k, n] : old)
      CHECK(n <= history_limit);
  }

  void step() {
    random_event();
    auto r = reconcile_service(&svc, tasks, nodes, {}, restarts, now_ns, gen);
    apply_actions(tasks, r.actions);
    // Idempotent: the same view right after gives nothing more to do.
    auto again = reconcile_service(&svc, tasks, nodes, {}, restarts, now_ns,
                                   gen);
    CHECK(again.actions.empty());
    check_instances();
    apply_actions(tasks, reap_tasks(&svc, tasks, history_limit).actions);
    check_history();
    run_cluster();
  }

  std::string state() const {
    std::string s;
    for (const auto& t : tasks)
      s += t.SerializeAsString();
    return s;
  }
};

std::string run_seed(uint64_t seed, int steps) {
  sim s{seed};
  for (int i = 0; i < steps; ++i) {
    INFO("step=" << i);
    s.step();
  }
  return s.state();
}

uint64_t env_or(const char* name, uint64_t fallback) {
  auto* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

void run_seeds(uint64_t count, int steps) {
  auto first = env_or("AS_SEED", 1);
  if (std::getenv("AS_SEED") != nullptr)
    count = 1;
  for (auto seed = first; seed < first + count; ++seed) {
    INFO("seed=" << seed);
    CHECK(run_seed(seed, steps) == run_seed(seed, steps));
  }
}

} // namespace

TEST_CASE("orchestrator sim: invariants hold under random events", "[unit]") {
  run_seeds(env_or("AS_SEEDS", 40), 150);
}

TEST_CASE("orchestrator sim: many seeds", "[.soak]") {
  run_seeds(env_or("AS_SEEDS", 2000), 400);
}
