// Cluster: `node promote`, `node demote`, `node rm` (9a16df5): docker's
// refusals, a dead manager demoted and removed, and role changes while
// writes keep coming through one manager.

#include "cluster/manager_set.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string quorum_text = "rpc error: can't remove member from the "
                                "raft: this would result in a loss of quorum";

// "" when every process of `pids` lives, else the ones gone.
std::string gone_of(const std::vector<pid_t>& pids) {
  std::string gone;
  for (auto p : pids)
    if (!process_alive(p))
      gone += " " + std::to_string(p);
  return gone;
}

size_t count_status(const std::vector<node_row>& rows,
                    const std::string& status) {
  return static_cast<size_t>(std::count_if(rows.begin(), rows.end(),
                                           [&](auto& r) {
                                             return r.manager_status == status;
                                           }));
}

// `service scale` writes through one manager on a thread until stopped
// (bounded: at most max_writes, at most max_time).
class write_loop {
public:
  static constexpr int max_writes = 400;
  static constexpr auto max_time = 40s;

  write_loop(const cluster_fixture& via, std::string service)
    : via_(via), service_(std::move(service)) {
    thread_ = std::thread{[this] { run(); }};
  }

  ~write_loop() {
    stop();
  }

  void stop() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  int ok = 0;
  std::vector<cmd_result> failed; // each failed write, in order
  long long max_ms = 0;           // slowest write

  /// "N ok, M failed, slowest T ms" and a count per error text.
  std::string summary() const {
    std::map<std::string, int> texts;
    for (const auto& f : failed)
      ++texts[f.err.substr(0, f.err.find('\n'))];
    std::ostringstream out;
    out << ok << " writes ok, " << failed.size() << " failed, slowest "
        << max_ms << " ms";
    for (const auto& [text, n] : texts)
      out << "\n  " << n << " x " << text;
    return out.str();
  }

private:
  void run() {
    auto t0 = clock_type::now();
    for (int k = 0; k < max_writes && !stop_; ++k) {
      if (clock_type::now() - t0 > max_time)
        return;
      auto t = clock_type::now();
      auto r = run_process({AS_BINARY, "-H", "unix://" + via_.socket_path(),
                            "service", "scale", "-d",
                            service_ + "=" + std::to_string(1 + k % 3)},
                           10s);
      max_ms = std::max<long long>(
        max_ms,
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now()
                                                              - t)
          .count());
      if (r.exit_code == 0)
        ++ok;
      else
        failed.push_back(r);
    }
  }

  const cluster_fixture& via_;
  std::string service_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace

TEST_CASE("cluster: a dead manager is demoted and removed, the other two "
          "keep a leader and take writes",
          "[cluster]") {
  manager_set m{3};
  auto leader = form_and_lead(m);
  auto gone = live_other(m, leader);
  auto gone_id = m.node_id(gone);
  REQUIRE(!gone_id.empty());
  REQUIRE(m[gone].stop_daemon(SIGKILL));
  auto other = live_other(m, leader); // the one left alive
  auto unreachable = [&] {
    for (const auto& row : m.node_rows(leader))
      if (row.id == gone_id)
        return row.manager_status == "Unreachable";
    return false;
  };
  REQUIRE(eventually(unreachable, 5s, 50ms));
  // check: a manager cannot be removed before it is demoted
  auto r = m[other].cli({"node", "rm", "--force", gone_id});
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "rejected: node " + gone_id
                          + " is a cluster manager and is a member of the "
                            "raft cluster. It must be demoted to worker "
                            "before removal"));
  // check: demoting a live one would leave 1 of 2 reachable: refused
  r = m[other].cli({"node", "demote", m.node_id(leader)});
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, quorum_text));
  // start: the dead one is demoted (through a follower) and removed
  r = m[other].cli({"node", "demote", gone_id});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  m.set_manager(gone, false);
  r = m[other].cli({"node", "rm", gone_id});
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "rejected: node " + gone_id
                          + " is not down and can't be removed"));
  r = m[leader].cli({"node", "rm", "--force", gone_id});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  for (auto i : {leader, other}) {
    auto rows = m.node_rows(i);
    CHECK(rows.size() == 2);
    CHECK(std::none_of(rows.begin(), rows.end(),
                       [&](auto& row) { return row.id == gone_id; }));
  }
  // check: two managers are a quorum of two: writes work
  CHECK(m.wait_stable_leader() == int(leader));
  r = create_service(m, other, "web", 2);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(m.wait_replicas(other, "web", "2/2"));
  CHECK(m.wait_total_tasks(2) == 2);
}

namespace {

// Three managers and a worker; while writes keep coming through one
// follower (the writer), the other follower is demoted, the worker promoted
// and, if `self_demotion`, the leader demotes itself.
void roles_under_load(bool self_demotion) {
  manager_set m{3, {}, 1};
  auto leader = form_and_lead(m);
  auto follower = live_other(m, leader); // demoted first
  size_t writer = 3 - leader - follower; // takes the writes throughout
  const size_t worker = 3;               // promoted
  REQUIRE(create_service(m, writer, "web", 8).exit_code == 0);
  REQUIRE(m.wait_total_tasks(8) == 8);
  // The load service's tasks fit no node: its writes start no process.
  auto r = m[writer].cli({"service", "create", "-d", "--name", "load",
                          "--replicas", "0", "--constraint",
                          "node.hostname==nowhere", "host", "sleep", "3600"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::vector<size_t> demoted{follower};
  if (self_demotion)
    demoted.push_back(leader);
  std::vector<pid_t> kept[4];
  for (auto i : demoted)
    kept[i] = m[i].task_pids();
  write_loop writes{m[writer], "load"};
  auto change = [&](size_t via, const char* verb, size_t node) {
    auto r = m[via].cli({"node", verb, m.node_id(node)});
    INFO(verb << " " << node << " via " << via << ": " << describe(r));
    CHECK(r.exit_code == 0);
    m.set_manager(node, std::string{verb} == "promote");
    auto l = m.wait_stable_leader();
    CHECK(l >= 0);
    return l;
  };
  change(writer, "demote", follower);
  auto last = change(writer, "promote", worker);
  if (self_demotion)
    last = change(leader, "demote", leader);
  writes.stop();
  // check: every write succeeded or failed with a clear error
  INFO(writes.summary());
  CHECK(writes.ok > 0);
  for (const auto& f : writes.failed) {
    INFO(describe(f));
    CHECK(f.exit_code > 0);
    CHECK(contains(f.err, "Error"));
  }
  // check: one Leader, the expected roles, seen by every manager
  auto managers = m.managers();
  CHECK(managers.size() == (self_demotion ? 2 : 3));
  CHECK(std::find(managers.begin(), managers.end(), size_t(last))
        != managers.end());
  for (auto i : managers) {
    auto rows = m.node_rows(i);
    CHECK(rows.size() == 4);
    CHECK(count_status(rows, "Leader") == 1);
    CHECK(count_status(rows, "Reachable") == managers.size() - 1);
    CHECK(count_status(rows, "") == 4 - managers.size());
  }
  for (auto i : demoted) {
    auto r = m[i].cli({"node", "ls"});
    CHECK(r.exit_code != 0);
    CHECK(contains(r.err, "This node is not a swarm manager."));
  }
  // check: no task process stopped on the demoted nodes (the promoted
  // worker's is checked by "a promoted worker keeps its task processes"),
  // no task added or lost
  for (auto i : demoted) {
    INFO("daemon " << i << " (leader " << leader << ", follower " << follower
                   << ") lost task processes" << gone_of(kept[i]));
    CHECK(gone_of(kept[i]).empty());
  }
  CHECK(m.wait_total_tasks(8) == 8);
  CHECK(scale_eventually(m, worker, "web", 12, 5s).exit_code == 0);
  CHECK(m.wait_total_tasks(12) == 12);
}

} // namespace

TEST_CASE("cluster: under a stream of writes a follower is demoted and the "
          "worker promoted, writes succeed or fail clearly, tasks keep "
          "running",
          "[cluster]") {
  roles_under_load(false);
}

TEST_CASE("cluster: under a stream of writes a follower is demoted, the "
          "worker promoted and the leader demotes itself, writes succeed or "
          "fail clearly, tasks keep running",
          "[cluster]") {
  roles_under_load(true);
}

TEST_CASE("cluster: a promoted worker keeps its task processes", "[cluster]") {
  manager_set m{1, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  REQUIRE(create_service(m, 0, "web", 4).exit_code == 0);
  REQUIRE(m.wait_total_tasks(4) == 4);
  auto kept = m[1].task_pids();
  CHECK(kept.size() == 2);
  auto r = m[0].cli({"node", "promote", m.node_id(1)});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  m.set_manager(1, true);
  CHECK(m.wait_stable_leader() == 0);
  CHECK(m.wait_total_tasks(4) == 4);
  INFO("task processes of the promoted worker gone:" << gone_of(kept));
  CHECK(gone_of(kept).empty());
}
