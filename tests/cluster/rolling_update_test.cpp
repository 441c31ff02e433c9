// Cluster: rolling updates and rollback with real daemons (issue #11, Tests,
// Cluster): a start-first update that never runs fewer than the replica
// count, a failing new version that rolls back by itself, and an update that
// resumes after kill -9 of the leader without starting over.

#include "cluster/manager_set.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <set>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

std::string update_state(const cluster_fixture& f, const std::string& svc) {
  auto r = f.cli({"service", "inspect", "--format",
                  "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", svc});
  auto s = r.out;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

// IDs of the service's tasks that run now.
std::set<std::string> running(const cluster_fixture& f,
                              const std::string& svc) {
  std::set<std::string> out;
  for (const auto& row : f.ps_rows(svc))
    if (row.current_state.rfind("Running", 0) == 0)
      out.insert(row.id);
  return out;
}

} // namespace

TEST_CASE("cluster: a start-first rolling update of 6 replicas with "
          "parallelism 2 never runs fewer than 6 tasks",
          "[cluster][update]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto c = f.cli({"service", "create", "-d", "--name", "web", "--replicas", "6",
                  "--update-parallelism", "2", "--update-order", "start-first",
                  "--update-monitor", "0s", "host", "sleep", "3600"});
  REQUIRE(c.exit_code == 0);
  REQUIRE(f.wait_replicas("web", "6/6"));
  REQUIRE(f.wait_task_count(6) == 6);
  auto before = running(f, "web");
  REQUIRE(before.size() == 6);
  auto u = f.cli({"service", "update", "-d", "--env-add", "V=2", "web"});
  REQUIRE(u.exit_code == 0);
  // The client: the processes that run, polled until the update completes.
  size_t fewest = 6;
  size_t polls = 0;
  auto done = eventually(
    [&] {
      fewest = std::min(fewest, f.task_pids().size());
      ++polls;
      return update_state(f, "web") == "completed";
    },
    30s, 5ms);
  CHECK(done);
  CHECK(polls > 1);
  CHECK(fewest >= 6);
  CHECK(f.wait_replicas("web", "6/6"));
  auto after = running(f, "web");
  CHECK(after.size() == 6);
  for (const auto& id : after)
    CHECK(before.count(id) == 0);
}

TEST_CASE("cluster: an update to a version that exits at once rolls back by "
          "itself with --update-failure-action rollback",
          "[cluster][update]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto c = f.cli({"service", "create", "-d", "--name", "web", "--replicas", "3",
                  "--update-failure-action", "rollback", "--update-monitor",
                  "2s", "--rollback-monitor", "0s", "host", "sleep", "3600"});
  REQUIRE(c.exit_code == 0);
  REQUIRE(f.wait_replicas("web", "3/3"));
  // `sleep nope` exits 1 at once: every new task fails.
  auto u = f.cli({"service", "update", "--args", "nope", "web"});
  CHECK(u.exit_code != 0);
  CHECK(eventually(
    [&] { return update_state(f, "web") == "rollback_completed"; }, 30s));
  auto args = f.cli({"service", "inspect", "--format",
                     "{{json .Spec.TaskTemplate.ContainerSpec.Args}}", "web"});
  CHECK(args.out.find("3600") != std::string::npos);
  CHECK(f.wait_replicas("web", "3/3", 15s));
  CHECK(f.wait_task_count(3) == 3);
}

TEST_CASE("cluster: an update resumes on the new leader after kill -9 of the "
          "leader, keeping the slots it already replaced",
          "[cluster][update]") {
  manager_set m(3);
  REQUIRE(m.form().empty());
  auto leader = m.wait_stable_leader();
  REQUIRE(leader >= 0);
  auto& L = m[size_t(leader)];
  // The tasks run on the followers only, so the leader's death takes no task
  // with it: what moves is the update alone.
  auto c = L.cli({"service",
                  "create",
                  "-d",
                  "--name",
                  "web",
                  "--replicas",
                  "6",
                  "--constraint",
                  "node.role==manager",
                  "--constraint",
                  "node.id!=" + m.node_id(size_t(leader)),
                  "--update-parallelism",
                  "1",
                  "--update-delay",
                  "1s",
                  "--update-monitor",
                  "0s",
                  "host",
                  "sleep",
                  "3600"});
  REQUIRE(c.exit_code == 0);
  REQUIRE(L.wait_replicas("web", "6/6", 15s));
  auto before = running(L, "web");
  REQUIRE(before.size() == 6);
  REQUIRE(
    L.cli({"service", "update", "-d", "--env-add", "V=2", "web"}).exit_code
    == 0);
  std::set<std::string> replaced;
  REQUIRE(eventually(
    [&] {
      replaced.clear();
      for (const auto& id : running(L, "web"))
        if (before.count(id) == 0)
          replaced.insert(id);
      return replaced.size() >= 2;
    },
    20s));
  REQUIRE(L.stop_daemon(SIGKILL));
  m.set_manager(size_t(leader), true);
  size_t other = leader == 0 ? 1 : 0;
  auto& F = m[other];
  bool never_empty = true;
  auto done = eventually(
    [&] {
      // Without a leader `service ps` fails (no rows): nothing to judge.
      auto rows = F.ps_rows("web");
      // Stop-first: the new task waits desired Ready until the old one
      // stopped; it holds the slot all the same.
      auto desired = std::count_if(rows.begin(), rows.end(), [](auto& x) {
        return x.desired_state == "Running" || x.desired_state == "Ready";
      });
      if (!rows.empty() && desired < 6)
        never_empty = false;
      return update_state(F, "web") == "completed";
    },
    60s, 20ms);
  CHECK(done);
  CHECK(never_empty);
  auto after = running(F, "web");
  CHECK(after.size() == 6);
  for (const auto& id : replaced)
    CHECK(after.count(id) == 1); // not replaced a second time
  for (const auto& id : after)
    CHECK(before.count(id) == 0);
  REQUIRE(L.start_daemon());
}
