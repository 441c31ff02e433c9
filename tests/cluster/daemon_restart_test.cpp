// Cluster: crash safety of one daemon (kill -9 and restart on the same data
// dir adopts the live task processes) and global services under drain.

#include "cluster/cluster_fixture.hpp"

#include <signal.h>

#include <algorithm>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

bool starts_with(const std::string& x, const std::string& prefix) {
  return x.compare(0, prefix.size(), prefix) == 0;
}

// The ID of this daemon's node (`node ls -q` on a one-node swarm).
std::string self_node_id(const cluster_fixture& f) {
  auto ids = lines_of(f.cli({"node", "ls", "-q"}).out);
  return ids.size() == 1 ? ids[0] : "";
}

} // namespace

TEST_CASE("cluster: after kill -9 of the daemon a restart adopts exactly the "
          "live task processes and replaces an adopted one that dies",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"service", "create", "--name", "web", "--replicas", "3",
                 "--restart-delay", "0s", "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_task_count(3) == 3);
  auto before = f.task_pids();
  // start: the daemon dies hard, its tasks live on; a new daemon takes over
  REQUIRE(f.stop_daemon(SIGKILL));
  CHECK(f.task_pids() == before);
  REQUIRE(f.start_daemon());
  // check: the same PIDs, no duplicates, the service converged
  CHECK(f.wait_replicas("web", "3/3"));
  CHECK(f.wait_task_count(3) == 3);
  CHECK(f.task_pids() == before);
  auto rows = f.ps_rows("web");
  CHECK(std::count_if(rows.begin(), rows.end(),
                      [](auto& r) { return r.desired_state == "Running"; })
        == 3);
  // start: an adopted process dies
  auto victim = before.front();
  REQUIRE(::kill(victim, SIGKILL) == 0);
  // check: replaced; the old task's exit cannot be known
  auto replaced = [&] {
    auto now = f.task_pids();
    return now.size() == 3
           && std::find(now.begin(), now.end(), victim) == now.end();
  };
  CHECK(eventually(replaced, 10s, 50ms));
  CHECK(f.wait_task_count(3) == 3);
  auto failed = [&] {
    rows = f.ps_rows("web");
    return std::any_of(rows.begin(), rows.end(), [](auto& r) {
      return starts_with(r.name, " \\_ web.")
             && starts_with(r.current_state, "Failed")
             && r.error
                  == "\"exit status unknown (adopted after daemon restart)\"";
    });
  };
  CHECK(eventually(failed, 5s, 50ms));
}

TEST_CASE("cluster: a global service runs one task on the node, none while "
          "the node is drained, and one again when it is active",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto created = f.cli({"service", "create", "--name", "agent", "--mode",
                        "global", "host", "sleep", "3600"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  CHECK(f.wait_task_count(1) == 1);
  CHECK(f.wait_replicas("agent", "1/1"));
  auto node = self_node_id(f);
  REQUIRE_FALSE(node.empty());
  // drain: the task is shut down
  auto drain = f.cli({"node", "update", "--availability", "drain", node});
  INFO(drain.out << drain.err);
  REQUIRE(drain.exit_code == 0);
  CHECK(f.wait_task_count(0) == 0);
  CHECK(f.wait_replicas("agent", "0/0"));
  // active again (named `self`, as docker accepts): the task is back
  auto active = f.cli({"node", "update", "--availability", "active", "self"});
  INFO(active.out << active.err);
  REQUIRE(active.exit_code == 0);
  CHECK(f.wait_task_count(1) == 1);
  CHECK(f.wait_replicas("agent", "1/1"));
}
