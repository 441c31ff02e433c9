// Cluster: replicated `host` services on one real daemon: create, scale, rm,
// a killed task replaced in its slot, restart conditions, logs.

#include "cluster/cluster_fixture.hpp"

#include <signal.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// Names of the rows whose desired state is Running, sorted.
std::vector<std::string> running_names(const std::vector<task_row>& rows) {
  std::vector<std::string> xs;
  for (const auto& r : rows)
    if (r.desired_state == "Running")
      xs.push_back(r.name);
  std::sort(xs.begin(), xs.end());
  return xs;
}

// The live task PIDs of `rows`.
std::set<pid_t> pids_of(const cluster_fixture& f,
                        const std::vector<task_row>& rows) {
  std::set<pid_t> xs;
  for (const auto& r : rows)
    if (auto pid = f.task_pid(r.id); pid > 0)
      xs.insert(pid);
  return xs;
}

bool starts_with(const std::string& x, const std::string& prefix) {
  return x.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

TEST_CASE("cluster: create, scale up, scale down and rm a host service keep "
          "exactly the desired processes alive",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  // setup/start
  auto created = f.cli({"service", "create", "--name", "web", "--replicas", "3",
                        "host", "sleep", "3600"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  // check: three processes, REPLICAS 3/3, tasks web.1..web.3
  CHECK(f.wait_task_count(3) == 3);
  CHECK(f.wait_replicas("web", "3/3"));
  CHECK(running_names(f.ps_rows("web"))
        == std::vector<std::string>{"web.1", "web.2", "web.3"});
  // scale up
  auto up = f.cli({"service", "scale", "web=5"});
  INFO(up.out << up.err);
  REQUIRE(up.exit_code == 0);
  CHECK(f.wait_task_count(5) == 5);
  CHECK(f.wait_replicas("web", "5/5"));
  // scale down: the highest slots go first
  auto down = f.cli({"service", "scale", "web=2"});
  INFO(down.out << down.err);
  REQUIRE(down.exit_code == 0);
  CHECK(f.wait_task_count(2) == 2);
  CHECK(f.wait_replicas("web", "2/2"));
  auto rows = f.ps_rows("web");
  CHECK(running_names(rows) == std::vector<std::string>{"web.1", "web.2"});
  std::vector<task_row> kept;
  std::copy_if(rows.begin(), rows.end(), std::back_inserter(kept),
               [](const task_row& r) { return r.desired_state == "Running"; });
  CHECK(pids_of(f, kept).size() == 2);
  // rm
  auto rm = f.cli({"service", "rm", "web"});
  INFO(rm.out << rm.err);
  REQUIRE(rm.exit_code == 0);
  CHECK(f.wait_task_count(0) == 0);
  CHECK(f.replicas_of("web").empty());
}

TEST_CASE("cluster: a task process killed with SIGKILL is replaced in its "
          "slot and shows as failed with exit 137",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"service", "create", "--name", "web", "--replicas", "3",
                 "--restart-delay", "0s", "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_task_count(3) == 3);
  // start: kill -9 the process of web.2
  auto rows = f.ps_rows("web");
  auto it = std::find_if(rows.begin(), rows.end(),
                         [](auto& r) { return r.name == "web.2"; });
  REQUIRE(it != rows.end());
  const auto victim = *it;
  auto pid = f.task_pid(victim.id);
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  // check: a new task runs in slot 2, the old one is history
  auto replaced = [&] {
    rows = f.ps_rows("web");
    return std::any_of(rows.begin(), rows.end(), [&](auto& r) {
      return r.name == "web.2" && r.id != victim.id
             && starts_with(r.current_state, "Running") && f.task_pid(r.id) > 0;
    });
  };
  CHECK(eventually(replaced, 10s, 50ms));
  auto old = std::find_if(rows.begin(), rows.end(),
                          [&](auto& r) { return r.id == victim.id; });
  REQUIRE(old != rows.end());
  CHECK(old->name == " \\_ web.2");
  CHECK(starts_with(old->current_state, "Failed"));
  CHECK(old->error == "\"task: non-zero exit (137)\"");
  CHECK(f.wait_task_count(3) == 3);
  CHECK(f.task_pid(victim.id) == 0);
}

TEST_CASE("cluster: a task that exits 0 with restart condition none "
          "completes and is not replaced",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto r = f.cli({"service", "create", "-d", "--name", "once",
                  "--restart-condition", "none", "host", "true"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto complete = [&] {
    auto rows = f.ps_rows("once");
    return rows.size() == 1 && starts_with(rows[0].current_state, "Complete");
  };
  CHECK(eventually(complete, 10s, 50ms));
  // Stays one task: give a (wrong) restart time to show up.
  std::this_thread::sleep_for(1s);
  auto rows = f.ps_rows("once");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "once.1");
  CHECK(starts_with(rows[0].current_state, "Complete"));
}

TEST_CASE("cluster: on-failure with max attempts 2 runs a failing task at "
          "most three times",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto r = f.cli({"service", "create", "-d", "--name", "flaky",
                  "--restart-condition", "on-failure", "--restart-delay",
                  "100ms", "--restart-max-attempts", "2", "host", "sh", "-c",
                  "exit 3"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto failed_count = [&] {
    auto rows = f.ps_rows("flaky");
    return std::count_if(rows.begin(), rows.end(), [](auto& x) {
      return starts_with(x.current_state, "Failed");
    });
  };
  CHECK(eventually([&] { return failed_count() == 3; }, 10s, 50ms));
  // No fourth attempt, even after several restart delays.
  std::this_thread::sleep_for(1s);
  auto rows = f.ps_rows("flaky");
  INFO(f.cli({"service", "ps", "--no-trunc", "flaky"}).out);
  CHECK(rows.size() == 3);
  for (const auto& x : rows) {
    CHECK(starts_with(x.current_state, "Failed"));
    CHECK(x.error == "\"task: non-zero exit (3)\"");
  }
}

TEST_CASE("cluster: service logs shows a task's output and honours --tail",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"service", "create", "--name", "talk", "host", "sh", "-c",
                 "echo hello; echo world; sleep 3600"})
            .exit_code
          == 0);
  cmd_result logs;
  auto has_output = [&] {
    logs = f.cli({"service", "logs", "talk"});
    return logs.out.find("world") != std::string::npos;
  };
  CHECK(eventually(has_output, 10s, 50ms));
  INFO(logs.out << logs.err);
  CHECK(logs.exit_code == 0);
  auto lines = lines_of(logs.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("hello") != std::string::npos);
  CHECK(lines[1].find("world") != std::string::npos);
  auto tail = f.cli({"service", "logs", "--tail", "1", "talk"});
  INFO(tail.out << tail.err);
  CHECK(tail.exit_code == 0);
  auto tail_lines = lines_of(tail.out);
  REQUIRE(tail_lines.size() == 1);
  CHECK(tail_lines[0].find("world") != std::string::npos);
}
