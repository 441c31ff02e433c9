// Cluster: a worker (issue #3 follow-up, a7197c4): `swarm join` with the
// worker token runs only an agent that talks to one manager's dispatcher
// over the cluster port and fails over to another manager.

#include "cluster/manager_set.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

const std::string not_manager_text = "This node is not a swarm manager.";

bool all_alive(const std::vector<pid_t>& pids) {
  return std::all_of(pids.begin(), pids.end(),
                     [](pid_t p) { return process_alive(p); });
}

} // namespace

TEST_CASE("cluster: a worker runs its share of a service, is listed without "
          "a manager status, refuses manager commands, and keeps its tasks "
          "when its manager dies hard, later tasks still reach it",
          "[cluster]") {
  manager_set m{3, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  const size_t w = 3;
  REQUIRE(m.wait_stable_leader() >= 0);
  CHECK(contains(m[w].cli({"info"}).out, "Is Manager: false"));
  // check: managers list the worker without a MANAGER STATUS
  auto id = m.node_id(w);
  for (auto i : m.managers()) {
    auto rows = m.node_rows(i);
    CHECK(rows.size() == 4);
    CHECK(std::any_of(rows.begin(), rows.end(), [&](auto& row) {
      return row.id == id && row.manager_status.empty();
    }));
  }
  // check: the worker refuses manager commands with docker's text
  auto r = m[w].cli({"node", "ls"});
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, not_manager_text));
  // check: its share of a service runs in its own data dir
  REQUIRE(create_service(m, 1, "web", 8).exit_code == 0);
  CHECK(m.wait_total_tasks(8) == 8);
  auto mine = m[w].task_pids();
  CHECK(mine.size() == 2);
  // start: the manager its agent talks to dies hard
  auto via = m.agent_manager(w);
  INFO("the worker's agent talks to manager " << via);
  REQUIRE(via >= 0);
  REQUIRE(m[size_t(via)].stop_daemon(SIGKILL));
  auto other = live_other(m, size_t(via));
  r = scale_eventually(m, other, "web", 12, 8s);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  // check: its tasks live on and new ones reach it through another manager
  auto reached = [&] { return m[w].task_pids().size() > mine.size(); };
  CHECK(eventually(reached, 10s, 100ms));
  CHECK(all_alive(mine));
  auto now = m.agent_manager(w);
  CHECK(now >= 0);
  CHECK(now != via);
  CHECK(contains(m[w].daemon_log(), "unreachable"));
}
