// Cluster: bad input against a real daemon. Each class: non-zero exit, one
// clear line on stderr (plus docker's "See '... --help'." hint for usage
// errors), state unchanged, daemon still serving.

#include "cluster/cluster_fixture.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& x, const std::string& needle) {
  return x.find(needle) != std::string::npos;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

// A daemon started on `data_dir` is refused at once with `needle`.
void expect_daemon_refused(cluster_fixture& f, const std::string& data_dir,
                           const std::string& needle) {
  auto r = f.run_daemon_until_exit(data_dir, f.dir() + "/other.sock", 10s);
  INFO("daemon output: " << r.err);
  CHECK(r.exit_code > 0);
  CHECK(contains(r.err, needle));
}

} // namespace

TEST_CASE("cluster: malformed service and node commands are refused and "
          "change nothing",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"service", "create", "--name", "web", "--replicas", "2",
                 "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_task_count(2) == 2);
  const std::vector<std::string> create = {"service", "create", "-d", "--name",
                                           "bad"};
  auto with = [&](std::vector<std::string> flags) {
    auto xs = create;
    xs.insert(xs.end(), flags.begin(), flags.end());
    xs.insert(xs.end(), {"host", "sleep", "3600"});
    return xs;
  };
  expect_refused(f, with({"--bogus"}), "unknown flag: --bogus");
  expect_refused(f, with({"--restart-delay", "5x"}), "5x");
  expect_refused(f, with({"--limit-memory", "12Q"}), "12Q");
  expect_refused(f, with({"--replicas", "-1"}), "-1");
  expect_refused(f, with({"--constraint", "node.role"}), "node.role");
  expect_refused(f,
                 {"service", "create", "-d", "--name", "web", "host", "sleep",
                  "3600"},
                 "web");
  expect_refused(f, {"service", "scale", "nosuch=2"}, "nosuch");
  expect_refused(f, {"service", "rm", "nosuch"}, "nosuch");
  expect_refused(f, {"service", "ps", "nosuch"}, "nosuch");
  expect_refused(f, {"service", "inspect", "nosuch"}, "nosuch");
  expect_refused(f, {"node", "inspect", "nosuchnode"}, "nosuchnode");
  expect_refused(f, {"node", "update", "--availability", "drain", "nosuchnode"},
                 "nosuchnode");
  expect_refused(f, {"service", "create", "-d", "--name", "ng", "nginx"},
                 "nginx");
  // `self` names this node in membership commands too.
  expect_refused(f, {"node", "demote", "self"},
                 "attempting to demote the last manager of the swarm");
  expect_refused(f, {"node", "rm", "self"},
                 "It must be demoted to worker before removal");
  expect_refused(f, {"node", "promote", "nosuchnode"}, "nosuchnode");
  // Still serving, still the same processes.
  CHECK(f.wait_task_count(2) == 2);
  CHECK(f.replicas_of("web") == "2/2");
}

TEST_CASE("cluster: the CLI names an unreachable daemon", "[cluster]") {
  cluster_fixture f;
  auto r = run_process({AS_BINARY, "-H", "unix://" + f.dir() + "/nobody.sock",
                        "service", "ls"});
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(error_lines(r.err).size() == 1);
  CHECK(contains(r.err, "Cannot connect to the actorswarm daemon"));
}

TEST_CASE("cluster: a second daemon on a data dir in use is refused and the "
          "first keeps serving",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  expect_daemon_refused(f, f.data_dir(), "in use");
  auto ls = f.cli({"node", "ls"});
  INFO(ls.err);
  CHECK(ls.exit_code == 0);
}

TEST_CASE("cluster: a daemon refuses a foreign or corrupt data dir",
          "[cluster]") {
  cluster_fixture f;
  namespace fs = std::filesystem;
  SECTION("a dir with unrelated files") {
    auto foreign = f.dir() + "/foreign";
    fs::create_directories(foreign);
    write_file(foreign + "/notes.txt", "mine\n");
    expect_daemon_refused(f, foreign, "does not belong to actorswarm");
    CHECK(fs::exists(foreign + "/notes.txt"));
    CHECK_FALSE(fs::exists(foreign + "/db"));
  }
  SECTION("garbage in FORMAT") {
    REQUIRE(f.start_daemon());
    REQUIRE(f.stop_daemon(SIGTERM));
    write_file(f.data_dir() + "/FORMAT", "garbage\n");
    expect_daemon_refused(f, f.data_dir(), "FORMAT");
  }
  SECTION("garbage in the database") {
    REQUIRE(f.start_daemon());
    REQUIRE(f.swarm_init());
    REQUIRE(f.stop_daemon(SIGTERM));
    std::error_code ec;
    for (auto& e : fs::directory_iterator{f.data_dir() + "/db", ec})
      if (e.path().filename().string().rfind("MANIFEST", 0) == 0
          || e.path().extension() == ".sst" || e.path().extension() == ".log")
        write_file(e.path().string(), std::string(4096, '\x5a'));
    expect_daemon_refused(f, f.data_dir(), "corrupt");
  }
}

TEST_CASE("cluster: commands before swarm init say the node is not a swarm "
          "manager, and a second swarm init is refused",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  for (auto args : std::vector<std::vector<std::string>>{
         {"service", "ls"},
         {"node", "ls"},
         {"service", "create", "-d", "--name", "x", "host", "true"}}) {
    auto r = f.cli(args);
    INFO(args[0] << " " << args[1] << ": " << r.err);
    CHECK(r.exit_code != 0);
    CHECK(error_lines(r.err).size() == 1);
    CHECK(contains(r.err, "not a swarm manager"));
  }
  REQUIRE(f.swarm_init());
  auto again = f.cli({"swarm", "init"});
  INFO(again.err);
  CHECK(again.exit_code != 0);
  CHECK(error_lines(again.err).size() == 1);
  CHECK(contains(again.err, "already part of a swarm"));
  CHECK(f.cli({"service", "ls"}).exit_code == 0);
}

TEST_CASE("cluster: a service that fits no node is refused by an attached "
          "create and stays pending with the reason",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto r = f.cli({"service", "create", "--name", "huge", "--reserve-memory",
                  "100T", "host", "sleep", "3600"});
  INFO(r.out << r.err);
  CHECK(r.exit_code != 0);
  const std::string reason
    = "no suitable node (insufficient resources on 1 node)";
  CHECK(contains(r.out + r.err, reason));
  auto rows = f.ps_rows("huge");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].current_state.rfind("Pending", 0) == 0);
  CHECK(rows[0].error == "\"" + reason + "\"");
  CHECK(f.task_pids().empty());
}
