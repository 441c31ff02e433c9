// Tasks are created in bounded batches (issue #9, defect 7): one reconcile
// creates at most its budget and says there is more; passes over committed
// batches converge.

#include "actors/orchestrator/replicated.hpp"

#include "actors/orchestrator/reconcile.hpp"
#include <algorithm>
#include <limits>

#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

struct batch_fixture {
  std::vector<pb::Task> tasks;
  node_map nodes;
  restart_tracker restarts;
  std::mt19937_64 gen{7};
  uint64_t slots_max = std::numeric_limits<uint64_t>::max();

  batch_fixture() {
    add_node(nodes, make_node("n1"));
  }

  reconcile_result pass(const pb::Service& svc, uint64_t budget) {
    reconcile_limits limits;
    limits.new_tasks_max = budget;
    limits.slots_max = slots_max;
    auto r = reconcile_replicated(svc, tasks, nodes, restarts, t0_ns, gen,
                                  limits);
    apply_actions(tasks, r.actions); // the batch commits
    return r;
  }
};

} // namespace

TEST_CASE_METHOD(batch_fixture,
                 "replicated: one reconcile creates at most its budget and "
                 "converges over several commits",
                 "[unit]") {
  auto svc = make_service("s1", 25);
  std::vector<size_t> creates;
  // 25 replicas in batches of 10: 10, 10, 5, then nothing.
  for (int i = 0; i < 5; ++i) {
    auto r = pass(svc, 10);
    creates.push_back(count_kind(r.actions, pb::StoreAction::CREATE));
    CHECK(r.more == (creates.back() == 10));
    if (!r.more && r.actions.empty())
      break;
  }
  CHECK(creates == std::vector<size_t>{10, 10, 5, 0});
  auto per = runnable_per_instance(tasks);
  CHECK(per.size() == 25);
  for (auto& [slot, n] : per)
    CHECK(n == 1);
}

TEST_CASE_METHOD(batch_fixture,
                 "replicated: the default budget is 1000 new tasks per "
                 "reconcile",
                 "[unit]") {
  auto svc = make_service("s1", 2'500);
  auto r = reconcile_replicated(svc, tasks, nodes, restarts, t0_ns, gen);
  CHECK(count_kind(r.actions, pb::StoreAction::CREATE) == 1'000);
  CHECK(new_tasks_per_batch_max == 1'000);
  CHECK(r.more);
  // reconcile_service passes the budget through.
  node_predicate any = [](const pb::Node&) { return true; };
  reconcile_limits three;
  three.new_tasks_max = 3;
  auto s = reconcile_service(&svc, tasks, nodes, any, restarts, t0_ns, gen,
                             three);
  CHECK(s.actions.size() == 3);
  CHECK(s.more);
}

TEST_CASE_METHOD(batch_fixture,
                 "replicated: a service stored with a billion replicas costs "
                 "one bounded batch per reconcile",
                 "[unit]") {
  // Stored before the replica limit existed: the orchestrator must not try
  // to make a billion tasks (or walk a billion slots) at once.
  auto svc = make_service("s1", 1'000'000'000);
  auto r = pass(svc, 1'000);
  CHECK(r.actions.size() == 1'000);
  CHECK(r.more);
  auto r2 = pass(svc, 1'000);
  CHECK(r2.actions.size() == 1'000);
  CHECK(tasks.size() == 2'000);
  CHECK(runnable_per_instance(tasks).count("slot:2000") == 1);
}

TEST_CASE_METHOD(batch_fixture,
                 "replicated: replacements of existing slots count against "
                 "the budget",
                 "[unit]") {
  auto svc = make_service("s1", 6);
  for (uint64_t slot = 1; slot <= 6; ++slot)
    tasks.push_back(make_task(svc, slot, "n1", pb::FAILED));
  // The service changed since they failed: every slot gets a task of the
  // new spec, outside the restart policy.
  svc.set_spec_version(2);
  auto r = pass(svc, 4);
  CHECK(count_kind(r.actions, pb::StoreAction::CREATE) == 4);
  CHECK(r.more);
  auto r2 = pass(svc, 4);
  CHECK(count_kind(r2.actions, pb::StoreAction::CREATE) == 2);
  CHECK_FALSE(r2.more);
  auto per = runnable_per_instance(tasks);
  CHECK(per.size() == 6);
  for (auto& [slot, n] : per)
    CHECK(n == 1);
}

TEST_CASE_METHOD(batch_fixture,
                 "replicated: no slot above the swarm's replica limit is "
                 "filled, held ones stay",
                 "[unit]") {
  // A billion replicas stored before the limit existed: the manager makes
  // only as many tasks as the limit allows, then stops.
  auto svc = make_service("s1", 1'000'000'000);
  slots_max = 25;
  auto r = pass(svc, 10);
  CHECK(count_kind(r.actions, pb::StoreAction::CREATE) == 10);
  pass(svc, 10);
  auto r3 = pass(svc, 10);
  CHECK(count_kind(r3.actions, pb::StoreAction::CREATE) == 5);
  CHECK_FALSE(r3.more);
  CHECK(pass(svc, 10).actions.empty());
  CHECK(tasks.size() == 25);
  // A limit lowered below a service's count keeps the slots it holds
  // (21..25 stay, restarts included) but refills none that empties.
  slots_max = 20;
  CHECK(pass(svc, 10).actions.empty());
  tasks.erase(std::remove_if(tasks.begin(), tasks.end(),
                             [](const pb::Task& t) { return t.slot() == 23; }),
              tasks.end());
  auto r4 = pass(svc, 10);
  CHECK(count_kind(r4.actions, pb::StoreAction::CREATE) == 0);
  CHECK(runnable_per_instance(tasks).size() == 24);
}
