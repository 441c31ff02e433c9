// Cluster: `swarm leave` on the only manager: refused without --force; with
// --force the tasks stop, the swarm state goes, the daemon keeps serving and
// a new `swarm init` starts a brand-new cluster.

#include "cluster/cluster_fixture.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& x, const std::string& y) {
  return x.find(y) != std::string::npos;
}

// The ClusterID line of `info`, or "" when absent.
std::string cluster_id(const cluster_fixture& f) {
  auto r = f.cli({"info"});
  for (const auto& line : lines_of(r.out))
    if (auto at = line.find("ClusterID: "); at != std::string::npos)
      return line.substr(at + 11);
  return "";
}

} // namespace

TEST_CASE("cluster: swarm leave --force stops the tasks, wipes the swarm and "
          "a new swarm init issues a new cluster",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto first_id = cluster_id(f);
  REQUIRE_FALSE(first_id.empty());
  auto created = f.cli({"service", "create", "--name", "web", "--replicas", "2",
                        "host", "sleep", "3600"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  REQUIRE(f.wait_task_count(2) == 2);
  auto pids = f.task_pids();
  // Without --force: docker's refusal, nothing changes.
  auto refused = f.cli({"swarm", "leave"});
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.err, "Use `--force` to ignore this message."));
  CHECK(f.task_pids() == pids);
  // With --force: left, every task process gone.
  auto left = f.cli({"swarm", "leave", "--force"});
  INFO(left.out << left.err);
  REQUIRE(left.exit_code == 0);
  CHECK(contains(left.out, "Node left the swarm."));
  CHECK(eventually([&] { return f.task_pids().empty(); }, 5s, 50ms));
  for (auto pid : pids)
    CHECK_FALSE(process_alive(pid));
  CHECK(contains(f.cli({"info"}).out, "Swarm: inactive"));
  auto ls = f.cli({"service", "ls"});
  CHECK(ls.exit_code != 0);
  CHECK(contains(ls.err, "not a swarm manager"));
  // A second leave: not in a swarm.
  CHECK(f.cli({"swarm", "leave", "--force"}).exit_code != 0);
  // A new swarm: another cluster id, no services, and it runs tasks.
  REQUIRE(f.swarm_init());
  auto second_id = cluster_id(f);
  CHECK_FALSE(second_id.empty());
  CHECK(second_id != first_id);
  auto ls2 = f.cli({"service", "ls"});
  REQUIRE(ls2.exit_code == 0);
  CHECK(lines_of(ls2.out).size() == 1); // the header only
  CHECK_FALSE(contains(ls2.out, "web"));
  auto again = f.cli({"service", "create", "--name", "api", "host", "sleep",
                      "3600"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(f.wait_replicas("api", "1/1"));
}
