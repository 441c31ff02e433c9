// Cluster: `swarm leave` on a manager (9a16df5): a leave that keeps a quorum
// takes the node out of the Raft group first; one that would lose it is
// refused with docker's text unless --force.

#include "cluster/manager_set.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

const std::string no_leader_text = "The swarm does not have a leader.";

size_t count_managers(const std::vector<node_row>& rows) {
  return static_cast<size_t>(std::count_if(rows.begin(), rows.end(),
                                           [](auto& r) {
                                             return !r.manager_status.empty();
                                           }));
}

} // namespace

namespace {

// Three managers; the leader or a follower leaves without --force.
void safe_leave(bool leader_leaves) {
  manager_set m{3};
  auto leader = form_and_lead(m);
  REQUIRE(create_service(m, leader, "web", 3).exit_code == 0);
  REQUIRE(m.wait_total_tasks(3) == 3);
  auto leaver = leader_leaves ? leader : live_other(m, leader);
  // start: it leaves without --force
  auto r = m[leaver].cli({"swarm", "leave"});
  INFO("daemon " << leaver << " (leader " << leader
                 << ") leaves: " << describe(r));
  CHECK(r.exit_code == 0);
  CHECK(contains(m[leaver].cli({"info"}).out, "Swarm: inactive"));
  m.set_manager(leaver, false);
  // check: the other two agree on a leader, list two managers, take writes
  auto now = m.wait_stable_leader();
  CHECK(now >= 0);
  CHECK(now != int(leaver));
  auto other = live_other(m, leaver);
  auto rows = m.node_rows(other);
  CHECK(rows.size() == 3);
  CHECK(count_managers(rows) == 2);
  r = create_service(m, other, "api", 2);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  // check: once its node is removed, its task and the new ones run on the
  // other two (they also do without `node rm`, once the leaver is marked
  // Down: see "the tasks of a manager that left run again ..." below)
  r = m[other].cli({"node", "rm", "--force", m.node_id(leaver)});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(m.wait_replicas(other, "api", "2/2"));
  CHECK(m.wait_replicas(other, "web", "3/3"));
  CHECK(m.wait_total_tasks(5) == 5);
  CHECK(m[leaver].task_pids().empty());
}

} // namespace

TEST_CASE("cluster: a follower of three managers leaves, the other two keep "
          "a leader, take writes and run its tasks",
          "[cluster]") {
  safe_leave(false);
}

TEST_CASE("cluster: the leader of three managers leaves, the other two keep "
          "a leader, take writes and run its tasks",
          "[cluster]") {
  safe_leave(true);
}

namespace {

// Three managers; one follower dies hard, then `leaver` (the leader or the
// other follower) tries to leave: refused with docker's text, then forced.
void refused_then_forced(bool leader_leaves) {
  manager_set m{3};
  auto leader = form_and_lead(m);
  auto dead = live_other(m, leader);
  REQUIRE(m[dead].stop_daemon(SIGKILL));
  auto other = live_other(m, leader); // the other follower
  auto leaver = leader_leaves ? leader : other;
  auto stays = leader_leaves ? other : leader;
  auto dead_id = m.node_id(dead);
  auto unreachable = [&] {
    for (const auto& row : m.node_rows(leaver))
      if (row.id == dead_id)
        return row.manager_status == "Unreachable";
    return false;
  };
  CHECK(eventually(unreachable, 5s, 50ms));
  // check: refused, with docker's text, and still a manager
  auto r = m[leaver].cli({"swarm", "leave"});
  INFO(describe(r));
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "You are attempting to leave the swarm on a node "
                        "that is participating as a manager. Removing this "
                        "node leaves 1 managers out of 3. Without a Raft "
                        "quorum your swarm will be inaccessible."));
  CHECK(contains(r.err, "Use `--force` to suppress this message."));
  CHECK(contains(m[leaver].cli({"info"}).out, "Is Manager: true"));
  CHECK(m.leader_seen_by(stays) == int(leader));
  // start: forced
  r = m[leaver].cli({"swarm", "leave", "--force"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(contains(m[leaver].cli({"info"}).out, "Swarm: inactive"));
  // check: the one manager left has no quorum: writes fail with the text
  auto refused = [&] {
    r = m[stays].cli({"service", "create", "-d", "--name", "web", "host",
                      "sleep", "3600"});
    return r.exit_code != 0 && contains(r.err, no_leader_text);
  };
  CHECK(eventually(refused, 5s, 100ms));
  INFO(describe(r));
}

} // namespace

TEST_CASE("cluster: the leader whose leave would lose the quorum is refused "
          "with docker's text and leaves with --force",
          "[cluster]") {
  refused_then_forced(true);
}

TEST_CASE("cluster: a follower whose leave would lose the quorum is refused "
          "with docker's text and leaves with --force",
          "[cluster]") {
  refused_then_forced(false);
}

TEST_CASE("cluster: the tasks of a manager that left run again on the "
          "others without node rm",
          "[cluster]") {
  manager_set m{3};
  auto leader = form_and_lead(m);
  REQUIRE(create_service(m, leader, "web", 3).exit_code == 0);
  REQUIRE(m.wait_total_tasks(3) == 3);
  auto leaver = live_other(m, leader);
  auto r = m[leaver].cli({"swarm", "leave"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(m.wait_replicas(leader, "web", "3/3", 20s));
  CHECK(m.wait_total_tasks(3, 20s) == 3);
  auto ls = m[leader].cli({"node", "ls", "--format", "{{.ID}} {{.Status}}"});
  INFO(describe(ls));
  CHECK(contains(ls.out, m.node_id(leaver) + " Down"));
}
