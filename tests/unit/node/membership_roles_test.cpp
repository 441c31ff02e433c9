// Docker's refusals for swarm leave, node demote and node rm, and the
// leader's manager status bookkeeping (actors/node/membership.hpp).

#include "unit/node/membership_fixture.hpp"

TEST_CASE("membership: docker's not-a-manager and no-leader texts", "[unit]") {
  CHECK(not_in_swarm().code == errc::not_in_swarm);
  CHECK(not_in_swarm().message
        == "This node is not a swarm manager. Use \"actorswarm swarm init\" "
           "or \"actorswarm swarm join\" to connect this node to swarm and "
           "try again.");
  CHECK(no_leader().code == errc::not_leader);
  CHECK(no_leader().message
        == "The swarm does not have a leader. It's possible that too few "
           "managers are online. Make sure more than half of the managers "
           "are online.");
}

// -- swarm leave ------------------------------------------------------------

TEST_CASE("membership: swarm leave outside a swarm is refused, even forced",
          "[unit]") {
  identity fresh;
  for (bool force : {false, true}) {
    auto r = leave_refusal(fresh, force);
    REQUIRE(r);
    CHECK(r->code == errc::not_in_swarm);
    CHECK(r->message == "This node is not part of a swarm");
  }
}

TEST_CASE("membership: a worker, or a forced leave, may always leave",
          "[unit]") {
  CHECK_FALSE(leave_refusal(member_of_swarm(true), false));
  CHECK_FALSE(leave_refusal(member_of_swarm(true), false, 3, 1));
  CHECK_FALSE(leave_refusal(member_of_swarm(), true));
  CHECK_FALSE(leave_refusal(member_of_swarm(), true, 3, 1));
}

TEST_CASE("membership: the last manager leaves only with --force", "[unit]") {
  auto r = leave_refusal(member_of_swarm(), false);
  REQUIRE(r);
  CHECK(r->code == errc::refused);
  CHECK(r->message
        == leave_text
             + "Removing the last manager erases all current state of the "
               "swarm. Use `--force` to ignore this message.");
}

TEST_CASE("membership: a manager's leave that would lose the quorum is "
          "refused with docker's count of what stays",
          "[unit]") {
  struct row {
    size_t managers, reachable;
    bool refused;
  };
  // After the leave, the managers - 1 left need a majority reachable among
  // reachable - 1.
  std::vector<row> rows = {
    {2, 2, false}, {2, 1, true},  {3, 3, false}, {3, 2, true},
    {4, 4, false}, {4, 3, false}, {4, 2, true},  {5, 5, false},
    {5, 4, false}, {5, 3, true},  {7, 5, false}, {7, 4, true},
  };
  for (const auto& r : rows) {
    INFO(r.managers << " managers, " << r.reachable << " reachable");
    auto x = leave_refusal(member_of_swarm(), false, r.managers, r.reachable);
    CHECK(x.has_value() == r.refused);
    if (!x)
      continue;
    CHECK(x->code == errc::refused);
    CHECK(x->message
          == leave_text + "Removing this node leaves "
               + std::to_string(r.reachable - 1) + " managers out of "
               + std::to_string(r.managers)
               + ". Without a Raft quorum your swarm will be inaccessible. "
                 "The only way to restore a swarm that has lost consensus is "
                 "to reinitialize it with `--force-new-cluster`. Use "
                 "`--force` to suppress this message.");
  }
}

// -- demote and a manager's removal from the Raft group ---------------------

TEST_CASE("membership: removing a node that is no voter is never refused",
          "[unit]") {
  auto st = status_of(1, 1, {1});
  CHECK_FALSE(removal_refusal(st, 99, "demote"));
}

TEST_CASE("membership: the last manager cannot be demoted", "[unit]") {
  auto st = status_of(1, 1, {1});
  auto r = removal_refusal(st, 1, "demote");
  REQUIRE(r);
  CHECK(r->code == errc::refused);
  CHECK(r->message
        == "rpc error: attempting to demote the last manager of the swarm");
  CHECK(removal_refusal(st, 1, "remove")->message
        == "rpc error: attempting to remove the last manager of the swarm");
}

TEST_CASE("membership: a removal that leaves too few reachable managers is "
          "refused, an unreachable target does not count",
          "[unit]") {
  struct row {
    uint64_t voters;
    std::vector<uint64_t> reachable;
    uint64_t target;
    bool refused;
    size_t left;
  };
  std::vector<row> rows = {
    // 3 managers, all up: 2 of the 2 left reachable.
    {3, {1, 2, 3}, 3, false, 2},
    // 3 managers, 3 down: removing it leaves 2 of 2 reachable.
    {3, {1, 2}, 3, false, 2},
    // 3 managers, 3 down: removing 2 leaves 1 of 2 reachable.
    {3, {1, 2}, 2, true, 1},
    // 2 managers: removing the other leaves 1 of 1.
    {2, {1, 2}, 2, false, 1},
    {2, {1}, 2, false, 1},
    // 5 managers, 2 down: removing an up one leaves 2 of 4.
    {5, {1, 2, 3}, 3, true, 2},
    // 5 managers, 2 down: removing a down one leaves 3 of 4.
    {5, {1, 2, 3}, 5, false, 3},
    // 4 managers, 1 down: removing an up one leaves 2 of 3.
    {4, {1, 2, 3}, 2, false, 2},
  };
  for (const auto& r : rows) {
    INFO(r.voters << " voters, target " << r.target);
    auto st = status_of(r.voters, 1, r.reachable);
    auto x = removal_refusal(st, r.target, "demote");
    CHECK(x.has_value() == r.refused);
    if (!x)
      continue;
    CHECK(x->code == errc::refused);
    CHECK(x->message
          == "rpc error: can't remove member from the raft: this would "
             "result in a loss of quorum ("
               + std::to_string(r.left) + " of the "
               + std::to_string(r.voters - 1)
               + " managers left would be reachable)");
  }
}

// -- node rm ----------------------------------------------------------------

TEST_CASE("membership: node rm refuses a manager: demote it first", "[unit]") {
  auto by_role = *manager(2, false);
  by_role.clear_manager_status();
  auto by_status = *manager(2, false);
  by_status.set_role(pb::NodeSpec::WORKER);
  for (const auto& n : {by_role, by_status})
    for (bool force : {false, true}) {
      auto r = remove_refusal(n, force);
      REQUIRE(r);
      CHECK(r->code == errc::refused);
      CHECK(r->message
            == "rejected: node node2 is a cluster manager and is a member of "
               "the raft cluster. It must be demoted to worker before "
               "removal");
    }
}

TEST_CASE("membership: node rm of a worker that is not down needs --force",
          "[unit]") {
  pb::Node n;
  n.set_id("w1");
  n.set_role(pb::NodeSpec::WORKER);
  for (auto state : {pb::NodeStatus::READY, pb::NodeStatus::UNKNOWN,
                     pb::NodeStatus::DISCONNECTED}) {
    n.mutable_status()->set_state(state);
    auto r = remove_refusal(n, false);
    REQUIRE(r);
    CHECK(r->code == errc::refused);
    CHECK(r->message == "rejected: node w1 is not down and can't be removed");
    CHECK_FALSE(remove_refusal(n, true));
  }
  n.mutable_status()->set_state(pb::NodeStatus::DOWN);
  CHECK_FALSE(remove_refusal(n, false));
}

// -- the leader's manager status ---------------------------------------------

TEST_CASE("membership: manager status follows the leader's Raft view and "
          "stores only what changed",
          "[unit]") {
  unreachable_map since;
  auto st = status_of(3, 1, {1, 2, 3});
  std::vector<std::shared_ptr<const pb::Node>> nodes
    = {manager(1, true), manager(2, false), manager(3, false)};
  CHECK(
    manager_status_updates(nodes, st, since, now_ns, 15 * second_ns).empty());
  // Leadership moved to 2: both flags change.
  st.lead = 2;
  auto xs = manager_status_updates(nodes, st, since, now_ns, 15 * second_ns);
  REQUIRE(xs.size() == 2);
  CHECK(xs[0].id() == "node1");
  CHECK_FALSE(xs[0].manager_status().leader());
  CHECK(xs[1].id() == "node2");
  CHECK(xs[1].manager_status().leader());
  CHECK(since.empty());
}

TEST_CASE("membership: workers and managers outside the Raft group get no "
          "manager status update",
          "[unit]") {
  unreachable_map since;
  auto st = status_of(1, 1, {1});
  pb::Node worker;
  worker.set_id("w");
  std::vector<std::shared_ptr<const pb::Node>> nodes
    = {manager(1, true), std::make_shared<const pb::Node>(worker),
       manager(7, true, false)};
  CHECK(manager_status_updates(nodes, st, since, now_ns, second_ns).empty());
}

TEST_CASE("membership: an unreachable manager is marked unreachable at once "
          "and Down after the heartbeat period, Ready once it is back",
          "[unit]") {
  unreachable_map since;
  auto down_after = 15 * second_ns;
  auto st = status_of(3, 1, {1, 2});
  auto three = manager(3, false);
  std::vector<std::shared_ptr<const pb::Node>> nodes
    = {manager(1, true), manager(2, false), three};
  auto xs = manager_status_updates(nodes, st, since, now_ns, down_after);
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].manager_status().reachability()
        == pb::ManagerStatus::UNREACHABLE);
  CHECK(xs[0].status().state() == pb::NodeStatus::READY);
  CHECK(since.at(3) == now_ns);
  // Stored as unreachable: nothing changes until the period ran out; the
  // first time it was seen unreachable counts.
  nodes[2] = std::make_shared<const pb::Node>(xs[0]);
  CHECK(manager_status_updates(nodes, st, since, now_ns + down_after - 1,
                               down_after)
          .empty());
  CHECK(since.at(3) == now_ns);
  xs = manager_status_updates(nodes, st, since, now_ns + down_after,
                              down_after);
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].status().state() == pb::NodeStatus::DOWN);
  CHECK(xs[0].status().message() == heartbeat_failure);
  CHECK(std::string{heartbeat_failure} == "heartbeat failure");
  // Back: reachable and Ready again, the message cleared.
  nodes[2] = std::make_shared<const pb::Node>(xs[0]);
  st.reachable = {1, 2, 3};
  xs = manager_status_updates(nodes, st, since, now_ns + 2 * down_after,
                              down_after);
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].manager_status().reachability() == pb::ManagerStatus::REACHABLE);
  CHECK(xs[0].status().state() == pb::NodeStatus::READY);
  CHECK(xs[0].status().message().empty());
  CHECK(since.empty());
}

TEST_CASE("membership: a node Down for another reason stays Down when its "
          "manager is reachable",
          "[unit]") {
  unreachable_map since;
  auto st = status_of(2, 1, {1, 2});
  std::vector<std::shared_ptr<const pb::Node>> nodes
    = {manager(1, true),
       manager(2, false, true, pb::NodeStatus::DOWN, "node left the swarm")};
  CHECK(manager_status_updates(nodes, st, since, now_ns, second_ns).empty());
}

TEST_CASE("membership: the unreachable bookkeeping forgets managers that "
          "left the Raft group",
          "[unit]") {
  unreachable_map since{{3, now_ns}, {9, now_ns}};
  auto st = status_of(3, 1, {1, 2});
  std::vector<std::shared_ptr<const pb::Node>> nodes
    = {manager(1, true), manager(2, false), manager(3, false, false)};
  manager_status_updates(nodes, st, since, now_ns + 1, 15 * second_ns);
  CHECK(since.size() == 1);
  CHECK(since.at(3) == now_ns);
}

TEST_CASE("membership: a manager is marked Down after three dispatcher "
          "heartbeat periods, 5 s each by default",
          "[unit]") {
  CHECK(manager_down_after_ns(nullptr) == 15 * second_ns);
  pb::Cluster c;
  CHECK(manager_down_after_ns(&c) == 15 * second_ns);
  c.mutable_spec()->set_dispatcher_heartbeat_ns(2 * second_ns);
  CHECK(manager_down_after_ns(&c) == 6 * second_ns);
}

TEST_CASE("membership: the manager status updates are stored as node "
          "updates in one batch",
          "[unit]") {
  auto b = node_updates({*manager(1, true), *manager(2, false)}, now_ns);
  CHECK(b.proposed_at_ns() == now_ns);
  REQUIRE(b.actions_size() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(b.actions(i).kind() == pb::StoreAction::UPDATE);
    CHECK(b.actions(i).node().id() == "node" + std::to_string(i + 1));
  }
  CHECK(node_updates({}, now_ns).actions_size() == 0);
}

// -- this node's own changes ---------------------------------------------------
