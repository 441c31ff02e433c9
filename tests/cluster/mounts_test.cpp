// Cluster: --mount for host tasks against a real daemon: a task reads its
// read-only bind mount and writes a named volume whose content its
// replacement finds; inspect --pretty shows the mounts; a missing bind
// source and a target in the daemon's data dir reject the task in `service
// ps` with docker's text, and nothing is mounted on the host.

#include "cluster/cluster_fixture.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& x, const std::string& needle) {
  return x.find(needle) != std::string::npos;
}

bool logs_show(const cluster_fixture& f, const std::string& name,
               const std::string& want, std::string& seen) {
  return eventually(
    [&] {
      seen = f.cli({"service", "logs", name}).out;
      return contains(seen, want);
    },
    10s, 50ms);
}

// Lines of this process's mount table that name `path`.
std::string mounts_naming(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string out;
  while (std::getline(in, line))
    if (contains(line, path))
      out += line + "\n";
  return out;
}

} // namespace

TEST_CASE("cluster: a host task gets its bind mount and a named volume kept "
          "across its replacement",
          "[cluster]") {
  if (::geteuid() != 0) {
    WARN("not root: no mount namespaces, skipped");
    return;
  }
  cluster_fixture f;
  temp_dir host{"as-mounts"};
  namespace fs = std::filesystem;
  fs::create_directories(host.path + "/www");
  fs::create_directories(host.path + "/srv");
  fs::create_directories(host.path + "/data");
  std::ofstream(host.path + "/www/index") << "hello-mounts\n";
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto srv = host.path + "/srv";
  auto data = host.path + "/data";
  auto r = f.cli(
    {"service", "create", "-d", "--name", "web", "--mount",
     "type=bind,source=" + host.path + "/www,target=" + srv + ",readonly",
     "--mount", "source=appdata,target=" + data, "host", "sh", "-c",
     "cat " + srv + "/index; cat " + data
       + "/n 2>/dev/null || echo first; echo again > " + data + "/n; touch "
       + srv + "/x 2>/dev/null || echo read-only; " + "exec sleep 3600"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string seen;
  CHECK(logs_show(f, "web", "read-only", seen));
  INFO(seen);
  CHECK(contains(seen, "hello-mounts"));
  CHECK(contains(seen, "first"));
  CHECK(read_file(f.data_dir() + "/volumes/appdata/_data/n") == "again\n");
  CHECK(mounts_naming(host.path).empty());
  auto pretty = f.cli({"service", "inspect", "--pretty", "web"});
  CHECK(contains(pretty.out, "Mounts:\n Target:\t" + srv + "\n  Source:\t"
                               + host.path
                               + "/www\n  ReadOnly:\ttrue\n  Type:\t\tbind\n"));
  // The replacement of a killed task finds what the first one wrote.
  std::vector<pid_t> pids;
  REQUIRE(eventually(
    [&] {
      pids = f.task_pids();
      return pids.size() == 1;
    },
    10s, 50ms));
  REQUIRE(::kill(pids[0], SIGKILL) == 0);
  CHECK(logs_show(f, "web", "again", seen));
  CHECK(mounts_naming(host.path).empty());
}

TEST_CASE("cluster: a missing bind source or a target in the data dir "
          "rejects the task, a bad --mount is refused",
          "[cluster]") {
  cluster_fixture f;
  temp_dir host{"as-mounts-bad"};
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto bad = f.cli({"service", "create", "-d", "--name", "bad", "--mount",
                    "type=bind,source=/x,target=/proc", "host", "true"});
  CHECK(bad.exit_code != 0);
  CHECK(contains(bad.err, "destination can't be '/proc'"));
  CHECK(f.replicas_of("bad").empty());
  struct row {
    std::string name;
    std::string mount;
    std::string error;
  };
  for (const auto& c : std::vector<row>{
         {"nosrc", "type=bind,source=" + host.path + "/nope,target=/tmp",
          "bind source path does not exist: " + host.path + "/nope"},
         {"indata", "type=bind,source=" + host.path + ",target=" + f.data_dir(),
          "is in the daemon's data dir"}}) {
    auto r = f.cli({"service", "create", "-d", "--name", c.name,
                    "--restart-condition", "none", "--mount", c.mount, "host",
                    "sleep", "3600"});
    INFO(c.name << ": " << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::vector<task_row> rows;
    CHECK(eventually(
      [&] {
        rows = f.ps_rows(c.name);
        return rows.size() == 1 && !rows[0].error.empty();
      },
      10s, 50ms));
    REQUIRE(rows.size() == 1);
    CHECK(contains(rows[0].current_state, "Rejected"));
    CHECK(contains(rows[0].error, c.error));
  }
  CHECK(f.task_pids().empty());
}
