// Cluster: start-up of a data dir that a crash or a loss left inconsistent
// (issue #9): a follower that died right after publishing the leader's
// snapshot starts and catches up (defect 1); a manager whose snapshot files
// are gone refuses to start with one line and exit code 3, the dir unchanged
// (defect 4).

#include "cluster/manager_set.hpp"

#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Snapshot files (`snap-<term>-<index>.snap`, 16 hex digits each) in the
// snapshots dir of `data_dir`, as (index, path).
std::vector<std::pair<uint64_t, fs::path>>
snapshot_files(const std::string& data_dir) {
  std::vector<std::pair<uint64_t, fs::path>> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(data_dir + "/snapshots", ec)) {
    auto name = e.path().filename().string();
    if (name.size() != 43 || name.rfind("snap-", 0) != 0
        || e.path().extension() != ".snap")
      continue;
    out.emplace_back(std::stoull(name.substr(22, 16), nullptr, 16), e.path());
  }
  return out;
}

// The path of the newest snapshot file of `data_dir`, or "".
fs::path newest_snapshot(const std::string& data_dir) {
  fs::path best;
  uint64_t best_index = 0;
  for (auto& [index, path] : snapshot_files(data_dir))
    if (index > best_index) {
      best_index = index;
      best = path;
    }
  return best;
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos;
       at = text.find(part, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("cluster: a follower that crashed after publishing the leader's "
          "snapshot and before compacting its log starts and catches up",
          "[cluster]") {
  manager_set m{3, {"--snapshot-interval", "5"}};
  auto leader = form_and_lead(m);
  auto follower = leader == 2 ? size_t{1} : size_t{2};
  // start: the follower stops; 40 writes; the leader snapshots meanwhile
  REQUIRE(m[follower].stop_daemon(SIGTERM));
  constexpr int services = 40;
  for (int k = 0; k < services; ++k) {
    auto r = m[leader].cli({"service", "create", "-d", "--name",
                            "s" + std::to_string(k), "--replicas", "0", "host",
                            "sleep", "3600"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
  }
  auto snap = newest_snapshot(m[leader].data_dir());
  REQUIRE_FALSE(snap.empty());
  // The state right after durable_log::persist renamed the leader's
  // snapshot into place, before it compacted the log.
  fs::copy_file(snap, m[follower].data_dir() + "/snapshots/"
                        + snap.filename().string());
  // check: the follower starts, reconciles, and catches up by the log
  REQUIRE(m[follower].start_daemon());
  size_t seen = 0;
  auto caught_up = [&] {
    auto r = m[follower].cli({"service", "ls", "-q"});
    seen = r.exit_code == 0 ? lines_of(r.out).size() : 0;
    return seen == size_t(services);
  };
  auto ok = eventually(caught_up, 10s, 100ms);
  INFO("the restarted follower lists " << seen << " services\n"
                                       << m[follower].daemon_log());
  CHECK(ok);
  CHECK(contains(m[follower].daemon_log(), "start-up reconcile"));
  REQUIRE(create_service(m, leader, "web", 3).exit_code == 0);
  CHECK(m.wait_replicas(follower, "web", "3/3"));
  CHECK(m.wait_stable_leader() >= 0);
}

TEST_CASE("cluster: a manager whose snapshot files are gone refuses to start "
          "with one line and exit code 3 and leaves its data dir as it is",
          "[cluster]") {
  cluster_fixture f;
  f.set_daemon_flags({"--snapshot-interval", "5"});
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  // Enough writes for two snapshots: the log is then compacted to the first.
  for (int k = 0; k < 15; ++k) {
    auto r = f.cli({"service", "create", "-d", "--name",
                    "s" + std::to_string(k), "--replicas", "0", "host", "sleep",
                    "3600"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  REQUIRE(count_of(f.daemon_log(), "] snapshot index=") >= 2);
  REQUIRE(f.stop_daemon(SIGTERM));
  std::error_code ec;
  fs::remove_all(f.data_dir() + "/snapshots", ec);
  REQUIRE_FALSE(ec);
  // start, twice: the same refusal, nothing written in between
  std::string line;
  for (int run = 0; run < 2; ++run) {
    auto r = f.run_daemon_until_exit(f.data_dir(), f.socket_path(), 10s);
    INFO(r.err);
    CHECK(r.exit_code == 3);
    std::string first;
    for (auto& l : lines_of(r.err))
      if (contains(l, "Error:"))
        first = first.empty() ? l : first;
    CHECK(contains(first, "Error: data dir " + f.data_dir()
                            + " is corrupt: the raft log is compacted to "
                              "index "));
    CHECK(contains(first, "but there is no snapshot (the snapshot files are "
                          "missing)"));
    if (run == 0)
      line = first;
    else
      CHECK(first == line);
    CHECK(snapshot_files(f.data_dir()).empty());
  }
}
