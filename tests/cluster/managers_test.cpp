// Cluster: several real manager daemons in one swarm (issue #3, Tests,
// Cluster): leader election seen by `node ls`, writes through a follower,
// kill -9 of the leader, catch-up by log and by snapshot, quorum loss and
// recovery, and refused joins. Workers: workers_test.cpp; promote, demote,
// rm: roles_test.cpp; a manager's leave: manager_leave_test.cpp.

#include "cluster/manager_set.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

const std::string no_leader_text
  = "The swarm does not have a leader. It's possible that too few managers "
    "are online. Make sure more than half of the managers are online.";

long long ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now()
                                                               - t0)
    .count();
}

} // namespace

TEST_CASE("cluster: three managers agree on one leader, run a service "
          "created through a follower, and survive kill -9 of the leader",
          "[cluster]") {
  manager_set m{3};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  // check: every manager lists 3 managers with the same single Leader
  auto leader = m.wait_stable_leader();
  REQUIRE(leader >= 0);
  for (size_t i = 0; i < m.size(); ++i) {
    auto rows = m.node_rows(i);
    CHECK(rows.size() == 3);
    CHECK(std::count_if(rows.begin(), rows.end(),
                        [](auto& r) { return r.manager_status == "Leader"; })
          == 1);
  }
  auto follower = live_other(m, size_t(leader));
  auto created = create_service(m, follower, "web", 6);
  INFO(describe(created));
  REQUIRE(created.exit_code == 0);
  CHECK(m.wait_replicas(follower, "web", "6/6"));
  CHECK(m.wait_total_tasks(6) == 6);
  for (size_t i = 0; i < m.size(); ++i)
    CHECK(m[i].task_pids().size() == 2); // spread over the three nodes
  // start: the leader dies hard (its tasks live on)
  REQUIRE(m[size_t(leader)].stop_daemon(SIGKILL));
  auto t0 = clock_type::now();
  auto scaled = scale_eventually(m, follower, "web", 9, 5s);
  auto failover_ms = ms_since(t0);
  INFO("scale accepted after " << failover_ms << " ms: " << describe(scaled));
  CHECK(scaled.exit_code == 0);
  CHECK(failover_ms < 3000);
  // restart: the old leader rejoins from its data dir and catches up
  REQUIRE(m[size_t(leader)].start_daemon());
  CHECK(m.wait_replicas(size_t(leader), "web", "9/9", 15s));
  CHECK(m.wait_total_tasks(9) == 9);
  CHECK(m.wait_stable_leader() >= 0);
}

TEST_CASE("cluster: a follower that misses more writes than the snapshot "
          "interval catches up from the leader's snapshot",
          "[cluster]") {
  manager_set m{3, {"--snapshot-interval", "20"}};
  auto leader = int(form_and_lead(m));
  auto follower = m.size() - 1 == size_t(leader) ? size_t{1} : m.size() - 1;
  // start: a follower stops; 40 services (40+ entries) are created meanwhile
  REQUIRE(m[follower].stop_daemon(SIGTERM));
  constexpr int services = 40;
  for (int k = 0; k < services; ++k) {
    auto r = m[size_t(leader)].cli({"service", "create", "-d", "--name",
                                    "s" + std::to_string(k), "--replicas", "0",
                                    "host", "sleep", "3600"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
  }
  CHECK(contains(m[size_t(leader)].daemon_log(), "snapshot index="));
  // restart: the follower gets the snapshot, not just the log
  REQUIRE(m[follower].start_daemon());
  size_t seen = 0;
  auto caught_up = [&] {
    auto r = m[follower].cli({"service", "ls", "-q"});
    seen = r.exit_code == 0 ? lines_of(r.out).size() : 0;
    return seen == size_t(services);
  };
  auto ok = eventually(caught_up, 10s, 100ms);
  INFO("the restarted follower lists " << seen << " services");
  CHECK(ok);
  CHECK(contains(m[follower].daemon_log(), "restored leader snapshot"));
  // check: it follows the log again after the snapshot
  REQUIRE(create_service(m, size_t(leader), "web", 3).exit_code == 0);
  CHECK(m.wait_replicas(follower, "web", "3/3"));
  CHECK(m.wait_total_tasks(3) == 3);
}

TEST_CASE("cluster: five managers take writes after two kills, refuse them "
          "at once after a third, keep tasks running, and recover when a "
          "manager returns",
          "[cluster]") {
  manager_set m{5};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  auto leader = m.wait_stable_leader(15s);
  REQUIRE(leader >= 0);
  REQUIRE(create_service(m, size_t(leader), "web", 5).exit_code == 0);
  REQUIRE(m.wait_total_tasks(5) == 5);
  // start: the leader and one follower die hard
  auto follower = live_other(m, size_t(leader));
  REQUIRE(m[size_t(leader)].stop_daemon(SIGKILL));
  REQUIRE(m[follower].stop_daemon(SIGKILL));
  auto survivor = live_other(m, size_t(leader));
  auto r = scale_eventually(m, survivor, "web", 6, 5s);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  // The new task may go to a dead manager's node (no heartbeat-driven
  // failure handling yet, issue #4): 5 or 6 processes.
  auto live = m.wait_total_tasks(6, 3s);
  CHECK(live >= 5);
  // start: the new leader dies too, 2 of 5 managers are left
  auto second = -1;
  eventually([&] { return (second = m.leader_seen_by(survivor)) >= 0; }, 5s,
             50ms);
  REQUIRE(second >= 0);
  REQUIRE(m[size_t(second)].stop_daemon(SIGKILL));
  survivor = live_other(m, size_t(second));
  auto refused = [&] {
    r = m[survivor].cli({"service", "scale", "-d", "web=7"});
    return r.exit_code != 0 && contains(r.err, no_leader_text);
  };
  CHECK(eventually(refused, 3s, 50ms));
  INFO(describe(r));
  auto t0 = clock_type::now();
  r = m[survivor].cli({"service", "scale", "-d", "web=7"});
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, no_leader_text));
  CHECK(ms_since(t0) < 1000);
  // check: the tasks keep running
  CHECK(m.wait_total_tasks(live) == live);
  // restart: one killed manager returns, there is a quorum again
  REQUIRE(m[follower].start_daemon());
  r = scale_eventually(m, survivor, "web", 7, 10s);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  // restart: the other two return; every task runs exactly once
  REQUIRE(m[size_t(leader)].start_daemon());
  REQUIRE(m[size_t(second)].start_daemon());
  CHECK(m.wait_total_tasks(7, 15s) == 7);
  CHECK(m.wait_replicas(size_t(leader), "web", "7/7"));
}

TEST_CASE("cluster: swarm join refuses a malformed, rotated or unreachable "
          "join and a second join, leaving the node out of the swarm",
          "[cluster]") {
  manager_set m{2};
  REQUIRE(m[0].start_daemon());
  REQUIRE(m[1].start_daemon());
  REQUIRE(m[0].swarm_init());
  auto token = m.manager_token(0);
  REQUIRE(!token.empty());
  auto join = [&](const std::string& t, const std::string& addr) {
    return m[1].cli({"swarm", "join", "--token", t, addr});
  };
  auto outside = [&] {
    return contains(m[1].cli({"info"}).out, "Swarm: inactive");
  };
  cmd_result r;
  auto t0 = clock_type::now();
  SECTION("malformed token") {
    r = join("SWMTKN-1-nonsense", m[0].cluster_addr());
    CHECK(contains(r.err, "invalid join token"));
  }
  SECTION("a token of another swarm's shape with a wrong secret") {
    r = join(token.substr(0, token.rfind('-') + 1) + "0000000000",
             m[0].cluster_addr());
  }
  SECTION("a rotated (old) manager token") {
    REQUIRE(m[0].cli({"swarm", "join-token", "--rotate", "manager"}).exit_code
            == 0);
    auto old = token;
    token = m.manager_token(0);
    REQUIRE(token != old);
    r = join(old, m[0].cluster_addr());
  }
  SECTION("nothing listens at the address") {
    r = join(token, "127.0.0.1:" + std::to_string(free_port()));
  }
  // check: refused with a message, in bounded time, and still outside
  INFO(describe(r) << "\nafter " << ms_since(t0) << " ms");
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "Error"));
  CHECK(ms_since(t0) < 15000);
  CHECK(outside());
  CHECK(m.node_rows(0).size() == 1);
  // check: the right token still joins; a second join is refused
  r = join(token, m[0].cluster_addr());
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "This node joined a swarm as a manager.\n");
  r = join(token, m[0].cluster_addr());
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "already part of a swarm"));
  r = m.join(0, 0, 1);
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "already part of a swarm"));
  CHECK(m.wait_stable_leader() == 0);
}

TEST_CASE("cluster: without quorum a manager answers reads with a stale "
          "warning, and --force-new-cluster rebuilds a one-manager swarm "
          "keeping services and tasks",
          "[cluster]") {
  manager_set m{3};
  auto leader = int(form_and_lead(m));
  REQUIRE(create_service(m, size_t(leader), "web", 3).exit_code == 0);
  REQUIRE(m.wait_total_tasks(3) == 3);
  // start: two of three managers die hard
  auto survivor = live_other(m, size_t(leader));
  for (size_t i = 0; i < m.size(); ++i)
    if (i != survivor)
      REQUIRE(m[i].stop_daemon(SIGKILL));
  // check: reads answer from the last known state, with a warning
  cmd_result r;
  auto stale = [&] {
    r = m[survivor].cli({"service", "ls"});
    return r.exit_code == 0 && contains(r.err, "stale");
  };
  CHECK(eventually(stale, 5s, 100ms));
  INFO(describe(r));
  CHECK(contains(r.out, "web"));
  r = m[survivor].cli({"node", "ls", "--format", "{{.ManagerStatus}}"});
  INFO(describe(r));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 3);
  CHECK(!contains(r.out, "Leader"));
  CHECK(contains(r.out, "Unreachable"));
  // start: the survivor forces a new cluster from its own state
  r = m[survivor].cli({"swarm", "init", "--force-new-cluster"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  // check: a leader again, the service and its tasks kept, writes work
  CHECK(eventually([&] { return m.leader_seen_by(survivor) == int(survivor); },
                   5s, 100ms));
  CHECK(m[survivor].replicas_of("web").size() > 0);
  CHECK(m.wait_total_tasks(3) == 3);
  r = scale_eventually(m, survivor, "web", 4, 5s);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(eventually(
    [&] { return contains(m[survivor].replicas_of("web"), "/4"); }, 5s, 100ms));
}
