// The leader's manager status publisher (actors/node/manager_status_actor.hpp)
// against a scripted store: a round at once and every 500 ms after the
// previous one, storing only what differs from the raft peer's view, and
// no further round once this manager no longer leads.

#include "actors/node/manager_status_actor.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "actors/store/object_store.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::node;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// The store's side: the raft view it reports, the nodes it holds, and the
// batches proposed to it.
struct store_script {
  raft::raft_status status;
  store::object_store view;
  std::vector<pb::StoreBatch> proposed;
  int status_requests = 0;
};

using script_ptr = std::shared_ptr<store_script>;

caf::behavior fake_store(caf::event_based_actor*, script_ptr s) {
  return {
    [=](raft_status_atom) {
      ++s->status_requests;
      return std::make_shared<const raft::raft_status>(s->status);
    },
    [=](view_atom) {
      return std::make_shared<const store::object_store>(s->view);
    },
    [=](propose_atom, const pb::StoreBatch& b) {
      s->proposed.push_back(b);
      return uint64_t{1};
    },
  };
}

pb::Node manager_node(uint64_t raft_id, bool leader) {
  pb::Node n;
  n.set_id("node" + std::to_string(raft_id));
  n.set_role(pb::NodeSpec::MANAGER);
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  n.mutable_manager_status()->set_raft_id(raft_id);
  n.mutable_manager_status()->set_leader(leader);
  n.mutable_manager_status()->set_reachability(pb::ManagerStatus::REACHABLE);
  return n;
}

void put_node(store::object_store& view, const pb::Node& n) {
  pb::StoreAction a;
  a.set_kind(pb::StoreAction::CREATE);
  *a.mutable_node() = n;
  pb::StoreBatch b;
  *b.add_actions() = a;
  view.apply(b, view.applied_index() + 1);
}

struct status_fixture : actor_fixture {
  script_ptr script = std::make_shared<store_script>();

  status_fixture() {
    script->status.raft_id = 1;
    script->status.lead = 1;
    script->status.is_leader = true;
    for (uint64_t id : {1, 2}) {
      auto* m = script->status.members.add_voters();
      m->set_raft_id(id);
      put_node(script->view, manager_node(id, id == 1));
    }
    script->status.reachable = {1, 2};
  }
};

} // namespace

TEST_CASE_METHOD(status_fixture,
                 "manager status: a round at once, then one "
                 "500 ms after each, only changes are stored",
                 "[actor]") {
  auto store = track(sys.spawn(fake_store, script));
  track(spawn_manager_status(self.ptr(),
                             caf::actor_cast<store::store_actor_type>(store),
                             clk));
  drain();
  CHECK(script->status_requests == 1);
  CHECK(script->proposed.empty());
  advance(499ms);
  CHECK(script->status_requests == 1);
  advance(1ms);
  CHECK(script->status_requests == 2);
  // Manager 2 becomes unreachable: stored at the next round.
  script->status.reachable = {1};
  advance(500ms);
  CHECK(script->status_requests == 3);
  REQUIRE(script->proposed.size() == 1);
  const auto& b = script->proposed[0];
  REQUIRE(b.actions_size() == 1);
  CHECK(b.actions(0).kind() == pb::StoreAction::UPDATE);
  CHECK(b.actions(0).node().id() == "node2");
  CHECK(b.actions(0).node().manager_status().reachability()
        == pb::ManagerStatus::UNREACHABLE);
  CHECK(b.proposed_at_ns() == clk.now_ns());
}

TEST_CASE_METHOD(status_fixture,
                 "manager status: a manager unreachable for "
                 "three heartbeat periods is marked Down",
                 "[actor]") {
  script->status.reachable = {1};
  auto node2 = manager_node(2, false);
  node2.mutable_manager_status()->set_reachability(
    pb::ManagerStatus::UNREACHABLE);
  script->view = store::object_store{};
  put_node(script->view, manager_node(1, true));
  put_node(script->view, node2);
  auto store = track(sys.spawn(fake_store, script));
  track(spawn_manager_status(self.ptr(),
                             caf::actor_cast<store::store_actor_type>(store),
                             clk));
  drain();
  CHECK(script->proposed.empty());
  // 15 s (no cluster object: the default 5 s heartbeat) in 500 ms rounds.
  for (int i = 0; i < 29; ++i)
    advance(500ms);
  CHECK(script->proposed.empty());
  advance(500ms);
  REQUIRE(script->proposed.size() == 1);
  const auto& n = script->proposed[0].actions(0).node();
  CHECK(n.id() == "node2");
  CHECK(n.status().state() == pb::NodeStatus::DOWN);
  CHECK(n.status().message() == "heartbeat failure");
}

TEST_CASE_METHOD(status_fixture,
                 "manager status: a round that finds this "
                 "manager following arms no next one",
                 "[actor]") {
  auto store = track(sys.spawn(fake_store, script));
  track(spawn_manager_status(self.ptr(),
                             caf::actor_cast<store::store_actor_type>(store),
                             clk));
  drain();
  script->status.is_leader = false;
  script->status.lead = 2;
  advance(500ms);
  CHECK(script->status_requests == 2);
  for (int i = 0; i < 4; ++i)
    advance(500ms);
  CHECK(script->status_requests == 2);
  CHECK(script->proposed.empty());
}
