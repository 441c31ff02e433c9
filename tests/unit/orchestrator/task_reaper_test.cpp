#include "actors/orchestrator/task_reaper.hpp"

#include <set>

#include "actors/orchestrator/reconcile.hpp"
#include "fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::orchestrator;
using namespace actorswarm::orchestrator::test;

namespace {

std::set<std::string> removed_ids(const reconcile_result& r) {
  std::set<std::string> xs;
  for (const auto& a : r.actions) {
    CHECK(a.kind() == pb::StoreAction::REMOVE);
    xs.insert(a.task().id());
  }
  return xs;
}

// `n` old tasks of slot 1, created one second apart, oldest first: h1..hn.
std::vector<pb::Task> slot_history(const pb::Service& s, int n) {
  std::vector<pb::Task> xs;
  for (int i = 1; i <= n; ++i)
    xs.push_back(make_task(s, 1, "n1", pb::FAILED, pb::SHUTDOWN,
                           t0_ns + i * sec_ns, t0_ns + i * sec_ns,
                           "h" + std::to_string(i)));
  return xs;
}

} // namespace

TEST_CASE("reaper: keeps task_history_limit old tasks per slot", "[unit]") {
  auto s = make_service("s1", 2);
  auto tasks = slot_history(s, 7);
  tasks.push_back(make_task(s, 1, "n1", pb::RUNNING, pb::RUNNING,
                            t0_ns + 9 * sec_ns, t0_ns, "cur"));
  struct row {
    uint64_t limit;
    std::set<std::string> want;
  };
  row rows[] = {
    {5, {"h1", "h2"}},
    {7, {}},
    {10, {}},
    {1, {"h1", "h2", "h3", "h4", "h5", "h6"}},
    {0, {"h1", "h2", "h3", "h4", "h5", "h6", "h7"}},
  };
  for (const auto& r : rows) {
    INFO("limit=" << r.limit);
    CHECK(removed_ids(reap_tasks(&s, tasks, r.limit)) == r.want);
  }
}

TEST_CASE("reaper: history is per instance, global per node", "[unit]") {
  auto s = make_service("s1", 2);
  auto tasks = slot_history(s, 3);
  tasks.push_back(make_task(s, 2, "n1", pb::FAILED, pb::SHUTDOWN, t0_ns, t0_ns,
                            "other-slot"));
  CHECK(removed_ids(reap_tasks(&s, tasks, 1))
        == std::set<std::string>{"h1", "h2"});
  auto g = make_service("g1", 0, pb::ServiceSpec::GLOBAL);
  std::vector<pb::Task> gt{
    make_task(g, 0, "n1", pb::FAILED, pb::SHUTDOWN, t0_ns, t0_ns, "a1"),
    make_task(g, 0, "n1", pb::FAILED, pb::SHUTDOWN, t0_ns + 1, t0_ns, "a2"),
    make_task(g, 0, "n2", pb::FAILED, pb::SHUTDOWN, t0_ns, t0_ns, "b1"),
  };
  CHECK(removed_ids(reap_tasks(&g, gt, 1)) == std::set<std::string>{"a1"});
}

TEST_CASE("reaper: never touches current or still-stopping tasks", "[unit]") {
  auto s = make_service("s1", 1);
  std::vector<pb::Task> tasks{
    // Dead but still the slot's current task (restart gave up).
    make_task(s, 1, "n1", pb::FAILED, pb::RUNNING, t0_ns, t0_ns, "cur"),
    // Asked to stop, not stopped yet.
    make_task(s, 1, "n1", pb::RUNNING, pb::SHUTDOWN, t0_ns, t0_ns, "stop"),
    make_task(s, 1, "n1", pb::RUNNING, pb::REMOVE, t0_ns, t0_ns, "rm"),
  };
  CHECK(reap_tasks(&s, tasks, 0).actions.empty());
}

TEST_CASE("reaper: desired REMOVE is deleted once finished", "[unit]") {
  auto s = make_service("s1", 1);
  std::vector<pb::Task> tasks{
    make_task(s, 1, "n1", pb::SHUTDOWN, pb::REMOVE, t0_ns, t0_ns, "done"),
    make_task(s, 2, "", pb::PENDING, pb::REMOVE, t0_ns, t0_ns, "unassigned"),
    make_task(s, 3, "n1", pb::ORPHANED, pb::REMOVE, t0_ns, t0_ns, "orph"),
  };
  CHECK(removed_ids(reap_tasks(&s, tasks, 5))
        == std::set<std::string>{"done", "unassigned", "orph"});
}

TEST_CASE("reaper: a deleted service's tasks go once finished", "[unit]") {
  auto s = make_service("s1", 1);
  std::vector<pb::Task> tasks{
    make_task(s, 1, "n1", pb::COMPLETE, pb::RUNNING, t0_ns, t0_ns, "a"),
    make_task(s, 2, "", pb::PENDING, pb::RUNNING, t0_ns, t0_ns, "b"),
    make_task(s, 3, "n1", pb::RUNNING, pb::REMOVE, t0_ns, t0_ns, "c"),
  };
  CHECK(removed_ids(reap_tasks(nullptr, tasks, 5))
        == std::set<std::string>{"a", "b"});
}

TEST_CASE("reaper: its writes and reconcile's never overlap", "[unit]") {
  auto s = make_service("s1", 2);
  auto tasks = slot_history(s, 7);
  tasks.push_back(make_task(s, 1, "n1", pb::FAILED, pb::RUNNING,
                            t0_ns + 20 * sec_ns, t0_ns + 20 * sec_ns, "cur"));
  tasks.push_back(make_task(s, 3, "n1", pb::COMPLETE, pb::SHUTDOWN));
  tasks.push_back(make_task(s, 2, "", pb::PENDING, pb::RUNNING));
  tasks.push_back(make_task(s, 2, "n1", pb::RUNNING, pb::SHUTDOWN));
  node_map nodes;
  add_node(nodes, make_node("n1"));
  const pb::Service* live = &s;
  const pb::Service* gone = nullptr;
  for (const pb::Service* svc : {live, gone})
    for (uint64_t limit : {0, 2, 5}) {
      INFO("service=" << (svc != nullptr) << " limit=" << limit);
      restart_tracker rt;
      std::mt19937_64 gen{1};
      auto a = reconcile_service(svc, tasks, nodes, {}, rt, t0_ns, gen);
      auto b = reap_tasks(svc, tasks, limit);
      std::set<std::string> written;
      for (const auto& x : a.actions)
        written.insert(x.task().id());
      for (const auto& x : b.actions)
        CHECK(written.count(x.task().id()) == 0);
      // Both together apply cleanly as one batch.
      auto copy = tasks;
      apply_actions(copy, a.actions);
      apply_actions(copy, b.actions);
    }
}
