// Cluster: a `host` service with a --health-cmd on one real daemon: healthy
// while the file it checks exists, unhealthy and replaced once it is gone.

#include "cluster/cluster_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

bool ends_with(const std::string& x, const std::string& suffix) {
  return x.size() >= suffix.size()
         && x.compare(x.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(const std::string& x, const std::string& prefix) {
  return x.compare(0, prefix.size(), prefix) == 0;
}

// The row of slot `name` whose desired state is Running, if any.
const task_row* current(const std::vector<task_row>& rows,
                        const std::string& name) {
  auto it = std::find_if(rows.begin(), rows.end(), [&](const task_row& r) {
    return r.name == name && r.desired_state == "Running";
  });
  return it == rows.end() ? nullptr : &*it;
}

} // namespace

TEST_CASE("cluster: a task whose --health-cmd fails turns unhealthy, fails "
          "and is replaced",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto ok_file = f.dir() + "/healthy";
  std::ofstream(ok_file) << "ok\n";
  auto created = f.cli({"service", "create", "-d", "--name", "hc",
                        "--restart-delay", "0s", "--health-cmd",
                        "test -f " + ok_file, "--health-interval", "200ms",
                        "--health-timeout", "5s", "--health-retries", "2",
                        "host", "sleep", "3600"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  // check: healthy while the file exists
  std::vector<task_row> rows;
  auto healthy = [&] {
    rows = f.ps_rows("hc");
    auto r = current(rows, "hc.1");
    return r && starts_with(r->current_state, "Running")
           && ends_with(r->current_state, "(healthy)");
  };
  REQUIRE(eventually(healthy, 20s, 50ms));
  const auto first = current(rows, "hc.1")->id;
  REQUIRE(f.task_pid(first) > 0);
  // start: the check's file goes
  REQUIRE(::unlink(ok_file.c_str()) == 0);
  // check: the task fails as unhealthy and a new one takes slot 1
  auto replaced = [&] {
    rows = f.ps_rows("hc");
    auto old = std::find_if(rows.begin(), rows.end(),
                            [&](const task_row& r) { return r.id == first; });
    auto r = current(rows, "hc.1");
    return old != rows.end() && starts_with(old->current_state, "Failed") && r
           && r->id != first;
  };
  REQUIRE(eventually(replaced, 20s, 50ms));
  auto old = std::find_if(rows.begin(), rows.end(),
                          [&](const task_row& r) { return r.id == first; });
  REQUIRE(old != rows.end());
  CHECK(old->name == " \\_ hc.1");
  CHECK(old->error
        == "\"task: non-zero exit (143): dockerexec: unhealthy container\"");
  CHECK(f.task_pid(first) == 0);
  // check: with the file back the new task turns healthy
  std::ofstream(ok_file) << "ok\n";
  auto healthy_again = [&] {
    rows = f.ps_rows("hc");
    auto r = current(rows, "hc.1");
    return r && r->id != first && ends_with(r->current_state, "(healthy)");
  };
  CHECK(eventually(healthy_again, 20s, 50ms));
}

TEST_CASE("cluster: a health check under docker's floors or in conflict is "
          "refused and creates nothing",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  // The daemon's check (SwarmKit's controlapi words).
  expect_refused(f,
                 {"service", "create", "--name", "hc", "--health-cmd", "true",
                  "--health-interval", "500us", "host", "sleep", "3600"},
                 "ContainerSpec: Interval in HealthConfig cannot be less "
                 "than 1ms");
  // The CLI's (docker's flag texts).
  expect_refused(f,
                 {"service", "create", "--name", "hc", "--no-healthcheck",
                  "--health-retries", "2", "host", "sleep", "3600"},
                 "--no-healthcheck conflicts with --health-* options");
  expect_refused(f,
                 {"service", "create", "--name", "hc", "--health-timeout",
                  "-1s", "host", "sleep", "3600"},
                 "duration cannot be negative");
  CHECK(f.wait_task_count(0) == 0);
}

TEST_CASE("cluster: the check of a task on a network runs in the task's "
          "namespaces",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto net = f.cli({"network", "create", "hcnet"});
  INFO(net.out << net.err);
  REQUIRE(net.exit_code == 0);
  // Passes only in the task's UTS namespace (its --hostname) and network
  // namespace (not the daemon's, which is this test's).
  char ns[128] = {};
  REQUIRE(::readlink("/proc/self/ns/net", ns, sizeof(ns) - 1) > 0);
  auto created
    = f.cli({"service", "create", "-d", "--name", "hcn", "--network", "hcnet",
             "--hostname", "hc-in-task", "--health-cmd",
             "test \"$(hostname)\" = hc-in-task && test \"$(readlink "
             "/proc/self/ns/net)\" != '"
               + std::string(ns) + "'",
             "--health-interval", "200ms", "host", "sleep", "3600"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  std::vector<task_row> rows;
  auto healthy = [&] {
    rows = f.ps_rows("hcn");
    auto r = current(rows, "hcn.1");
    return r && ends_with(r->current_state, "(healthy)");
  };
  CHECK(eventually(healthy, 20s, 50ms));
  REQUIRE(f.cli({"service", "rm", "hcn"}).exit_code == 0);
  CHECK(f.wait_task_count(0) == 0);
}
