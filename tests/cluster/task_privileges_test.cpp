// Cluster: --user, --cap-add and --cap-drop against a real daemon: the task
// runs as the user with the capabilities asked for (its own
// /proc/self/status, read through `service logs`), the fields survive
// inspect and update, bad values are refused, and a user the node does not
// have fails the task in `service ps` instead of running it as root.

#include "cluster/cluster_fixture.hpp"

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* report_status
  = "grep -E '^(Uid|CapEff|CapBnd):' /proc/self/status; exec sleep 3600";

bool contains(const std::string& x, const std::string& needle) {
  return x.find(needle) != std::string::npos;
}

// The service's container spec from `service inspect` (JSON).
nlohmann::json container_of(const cluster_fixture& f, const std::string& name) {
  auto r = f.cli({"service", "inspect", name});
  auto xs = nlohmann::json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || !xs.is_array() || xs.empty())
    return nlohmann::json::object();
  return xs[0]["Spec"]["TaskTemplate"]["ContainerSpec"];
}

// Waits until `service logs name` holds every line of `want`.
bool logs_show(const cluster_fixture& f, const std::string& name,
               const std::vector<std::string>& want, std::string& seen) {
  return eventually(
    [&] {
      seen = f.cli({"service", "logs", name}).out;
      for (const auto& x : want)
        if (!contains(seen, x))
          return false;
      return true;
    },
    10s, 50ms);
}

} // namespace

TEST_CASE("cluster: --user and --cap-drop reach the task and survive "
          "inspect and update",
          "[cluster]") {
  if (::geteuid() != 0) {
    WARN("not root: the daemon cannot switch users, skipped");
    return;
  }
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  auto r = f.cli({"service", "create", "--name", "who", "--user", "65534",
                  "--cap-drop", "all", "host", "sh", "-c", report_status});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string seen;
  CHECK(logs_show(f, "who",
                  {"Uid:\t65534\t65534\t65534\t65534",
                   "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000"},
                  seen));
  INFO(seen);
  auto c = container_of(f, "who");
  CHECK(c["User"] == "65534");
  CHECK(c["CapabilityDrop"] == nlohmann::json::array({"ALL"}));
  CHECK_FALSE(c.contains("CapabilityAdd")); // omitempty, as docker
  // Root again, with NET_ADMIN (bit 12) alone.
  auto u = f.cli({"service", "update", "-d", "--user", "0", "--cap-add",
                  "net_admin", "who"});
  INFO(u.out << u.err);
  REQUIRE(u.exit_code == 0);
  c = container_of(f, "who");
  CHECK(c["User"] == "0");
  CHECK(c["CapabilityAdd"] == nlohmann::json::array({"CAP_NET_ADMIN"}));
  CHECK(c["CapabilityDrop"] == nlohmann::json::array({"ALL"}));
  // A running task keeps its spec until it is replaced (no rolling update
  // yet): killing it makes the orchestrator start one of the new spec.
  std::vector<pid_t> pids;
  REQUIRE(eventually(
    [&] {
      pids = f.task_pids(); // sh has exec'd sleep once grep is gone
      return pids.size() == 1;
    },
    10s, 50ms));
  REQUIRE(::kill(pids[0], SIGKILL) == 0);
  CHECK(logs_show(f, "who",
                  {"Uid:\t0\t0\t0\t0", "CapEff:\t0000000000001000",
                   "CapBnd:\t0000000000001000"},
                  seen));
  auto pretty = f.cli({"service", "inspect", "--pretty", "who"});
  CHECK(contains(pretty.out, " User: 0\n"));
  CHECK(contains(pretty.out,
                 "Capabilities:\n Add: CAP_NET_ADMIN\n Drop: ALL\n"));
}

TEST_CASE("cluster: a bad --user or capability is refused and stores "
          "nothing, a user the node lacks fails the task in service ps",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  for (auto [flags, needle] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
         {{"--cap-add", "bogus"}, "unknown capability: \"CAP_BOGUS\""},
         {{"--cap-drop", "CAP_NOPE"}, "unknown capability: \"CAP_NOPE\""},
         {{"--user", "a:b:c"}, "invalid user \"a:b:c\""},
         {{"--user", "1000:"}, "invalid user \"1000:\""}}) {
    std::vector<std::string> args = {"service", "create", "-d", "--name",
                                     "bad"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"host", "true"});
    auto r = f.cli(args);
    INFO(flags[0] << " " << flags[1] << ": " << r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(contains(r.err, needle));
    CHECK(f.replicas_of("bad").empty());
  }
  auto r = f.cli({"service", "create", "-d", "--name", "ghost", "--user",
                  "no-such-user-xyz", "--restart-condition", "none", "host",
                  "sleep", "3600"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<task_row> rows;
  auto failed = [&] {
    rows = f.ps_rows("ghost");
    return rows.size() == 1 && !rows[0].error.empty();
  };
  CHECK(eventually(failed, 10s, 50ms));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].error
        == "\"task: unable to find user no-such-user-xyz: no matching "
           "entries in passwd file\"");
  CHECK(f.task_pids().empty());
}
