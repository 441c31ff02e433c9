// `node promote|demote|rm` on the leader (actors/node/role_change_actor.hpp)
// against a scripted store and transport: Docker's refusals, the order of
// a demote (Raft group, node object, the node told), a follower's
// forwarding, and the leader demoting itself (leadership transfer, status
// polls every 100 ms, the demote forwarded 300 ms after another manager
// leads).

#include "actors/node/role_change_actor.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/store/object_store.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::node;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// The store's side of the script, and what it was asked.
struct world {
  raft::raft_status status;
  store::object_store view;
  std::vector<uint64_t> transfers;
  std::vector<pb::ConfChange> confs;
  std::vector<pb::StoreBatch> proposed;
  int status_requests = 0;
  // The transport's side: requests by destination and kind.
  std::vector<std::string> sent; // "<dest> <kind>"
  std::vector<std::string> payloads;
};

using world_ptr = std::shared_ptr<world>;

caf::behavior fake_store(caf::event_based_actor*, world_ptr w) {
  return {
    [=](raft_status_atom) {
      ++w->status_requests;
      return std::make_shared<const raft::raft_status>(w->status);
    },
    [=](view_atom) {
      return std::make_shared<const store::object_store>(w->view);
    },
    [=](transfer_atom, uint64_t to) {
      w->transfers.push_back(to);
      return true;
    },
    [=](conf_atom, const pb::ConfChange& cc) {
      w->confs.push_back(cc);
      return uint64_t{1};
    },
    [=](propose_atom, const pb::StoreBatch& b) {
      w->proposed.push_back(b);
      return uint64_t{1};
    },
  };
}

std::string answered_ok() {
  return pb::ControlReply{}.SerializeAsString();
}

caf::behavior fake_transport(caf::event_based_actor*, world_ptr w) {
  return {
    [=](cluster_call_atom, uint64_t to, int32_t kind,
        const std::string& bytes) {
      w->sent.push_back(std::to_string(to) + " " + std::to_string(kind));
      w->payloads.push_back(bytes);
      return answered_ok();
    },
    [=](cluster_call_atom, const std::string& to, int32_t kind,
        const std::string& bytes) {
      w->sent.push_back(to + " " + std::to_string(kind));
      w->payloads.push_back(bytes);
      return answered_ok();
    },
  };
}

pb::Node make_node(uint64_t id, bool manager,
                   pb::NodeStatus::State state = pb::NodeStatus::READY) {
  pb::Node n;
  n.set_id("node" + std::to_string(id));
  n.set_role(manager ? pb::NodeSpec::MANAGER : pb::NodeSpec::WORKER);
  n.mutable_status()->set_state(state);
  n.mutable_status()->set_addr("10.0.0." + std::to_string(id) + ":2377");
  if (manager) {
    n.mutable_manager_status()->set_raft_id(id);
    n.mutable_manager_status()->set_reachability(pb::ManagerStatus::REACHABLE);
  }
  return n;
}

void put(store::object_store& view, const pb::StoreAction& a) {
  pb::StoreBatch b;
  *b.add_actions() = a;
  view.apply(b, view.applied_index() + 1);
}

struct role_fixture : actor_fixture {
  world_ptr w = std::make_shared<world>();
  caf::actor store;
  caf::actor transport;
  pb::NodeStatus::State worker_state = pb::NodeStatus::READY;

  // A swarm of `managers` managers (raft ids 1..) and `workers` workers
  // (ids after them); manager 1 leads and this is manager `self_id`.
  void swarm(uint64_t managers, uint64_t workers, uint64_t self_id = 1) {
    w->status.raft_id = self_id;
    w->status.lead = 1;
    w->status.is_leader = self_id == 1;
    pb::StoreAction c;
    c.set_kind(pb::StoreAction::CREATE);
    c.mutable_cluster()->set_id("c1");
    c.mutable_cluster()->mutable_join_tokens()->set_manager("MTOKEN");
    put(w->view, c);
    for (uint64_t id = 1; id <= managers + workers; ++id) {
      pb::StoreAction a;
      a.set_kind(pb::StoreAction::CREATE);
      *a.mutable_node() = make_node(id, id <= managers,
                                    id <= managers ? pb::NodeStatus::READY
                                                   : worker_state);
      put(w->view, a);
      if (id > managers)
        continue;
      auto* m = w->status.members.add_voters();
      m->set_raft_id(id);
      m->set_node_id("node" + std::to_string(id));
      m->set_addr("10.0.0." + std::to_string(id) + ":2377");
      w->status.reachable.push_back(id);
    }
    store = track(sys.spawn(fake_store, w));
    transport = track(sys.spawn(fake_transport, w));
  }

  role_change_actor_type change(pb::ControlRequest req) {
    return spawn_role_change(
      self.ptr(), caf::actor_cast<store::store_actor_type>(store),
      caf::actor_cast<net::cluster_transport_actor_type>(transport), clk,
      std::move(req));
  }
};

pb::ControlRequest demote(const std::string& ref, bool leaving = false) {
  pb::ControlRequest req;
  req.mutable_node_role()->add_refs(ref);
  req.mutable_node_role()->set_role(pb::NodeSpec::WORKER);
  req.mutable_node_role()->set_leaving(leaving);
  return req;
}

pb::ControlRequest promote(const std::string& ref) {
  auto req = demote(ref);
  req.mutable_node_role()->set_role(pb::NodeSpec::MANAGER);
  return req;
}

pb::ControlRequest remove(const std::string& ref, bool force = false) {
  pb::ControlRequest req;
  req.mutable_node_remove()->add_refs(ref);
  req.mutable_node_remove()->set_force(force);
  return req;
}

const std::string control_kind = std::to_string(pb::Envelope::CONTROL);
const std::string role_kind = std::to_string(pb::Envelope::ROLE);

} // namespace

TEST_CASE_METHOD(role_fixture,
                 "role change: the leader demotes a manager: "
                 "out of the Raft group, stored as a worker, "
                 "then told",
                 "[actor]") {
  swarm(3, 0);
  auto r = ask_ok<pb::ControlReply>(change(demote("node2")),
                                    role_change_atom_v);
  CHECK(r.code() == 0);
  REQUIRE(w->confs.size() == 1);
  CHECK(w->confs[0].type() == pb::ConfChange::REMOVE_NODE);
  CHECK(w->confs[0].member().raft_id() == 2);
  REQUIRE(w->proposed.size() == 1);
  const auto& n = w->proposed[0].actions(0).node();
  CHECK(n.id() == "node2");
  CHECK(n.role() == pb::NodeSpec::WORKER);
  CHECK_FALSE(n.has_manager_status());
  CHECK(n.status().state() == pb::NodeStatus::READY);
  REQUIRE(w->sent == std::vector<std::string>{"10.0.0.2:2377 " + role_kind});
  pb::RoleChange rc;
  REQUIRE(rc.ParseFromString(w->payloads[0]));
  CHECK_FALSE(rc.manager());
  CHECK(std::vector<std::string>(rc.managers().begin(), rc.managers().end())
        == std::vector<std::string>{"10.0.0.1:2377", "10.0.0.3:2377"});
}

TEST_CASE_METHOD(role_fixture,
                 "role change: a manager that leaves is stored "
                 "Down in the same write",
                 "[actor]") {
  swarm(3, 0);
  ask_ok<pb::ControlReply>(change(demote("node3", true)), role_change_atom_v);
  REQUIRE(w->proposed.size() == 1);
  const auto& n = w->proposed[0].actions(0).node();
  CHECK(n.status().state() == pb::NodeStatus::DOWN);
  CHECK(n.status().message() == "node left the swarm");
}

TEST_CASE_METHOD(role_fixture,
                 "role change: docker's refusals: the last "
                 "manager, loss of quorum, rm of a manager or "
                 "of a node not down, promote of a down node",
                 "[actor]") {
  SECTION("the last manager") {
    swarm(1, 1);
    auto r = ask_ok<pb::ControlReply>(change(demote("node1")),
                                      role_change_atom_v);
    CHECK(r.code() == static_cast<uint32_t>(errc::refused));
    CHECK(r.error()
          == "rpc error: attempting to demote the last manager of the swarm");
  }
  SECTION("loss of quorum") {
    swarm(3, 0);
    w->status.reachable = {1, 2};
    auto r = ask_ok<pb::ControlReply>(change(demote("node2")),
                                      role_change_atom_v);
    CHECK(r.error()
          == "rpc error: can't remove member from the raft: this "
             "would result in a loss of quorum (1 of the 2 "
             "managers left would be reachable)");
  }
  SECTION("rm of a manager") {
    swarm(2, 0);
    auto r = ask_ok<pb::ControlReply>(change(remove("node2", true)),
                                      role_change_atom_v);
    CHECK(r.error()
          == "rejected: node node2 is a cluster manager and is a "
             "member of the raft cluster. It must be demoted to "
             "worker before removal");
  }
  SECTION("rm of a node that is not down") {
    swarm(1, 1);
    auto r = ask_ok<pb::ControlReply>(change(remove("node2")),
                                      role_change_atom_v);
    CHECK(r.error() == "rejected: node node2 is not down and can't be removed");
  }
  SECTION("promote of a down node") {
    worker_state = pb::NodeStatus::DOWN;
    swarm(1, 1);
    auto r = ask_ok<pb::ControlReply>(change(promote("node2")),
                                      role_change_atom_v);
    CHECK(r.error() == "node node2 is down; it cannot be promoted");
  }
  CHECK(w->confs.empty());
  CHECK(w->proposed.empty());
  CHECK(w->sent.empty());
}

TEST_CASE_METHOD(role_fixture,
                 "role change: promote tells the worker to "
                 "join with the manager token, rm of a worker "
                 "with --force removes its node",
                 "[actor]") {
  swarm(1, 1);
  CHECK(ask_ok<pb::ControlReply>(change(promote("node2")), role_change_atom_v)
          .code()
        == 0);
  REQUIRE(w->sent == std::vector<std::string>{"10.0.0.2:2377 " + role_kind});
  pb::RoleChange rc;
  REQUIRE(rc.ParseFromString(w->payloads[0]));
  CHECK(rc.manager());
  CHECK(rc.token() == "MTOKEN");
  CHECK(ask_ok<pb::ControlReply>(change(remove("node2", true)),
                                 role_change_atom_v)
          .code()
        == 0);
  REQUIRE(w->proposed.size() == 1);
  CHECK(w->proposed[0].actions(0).kind() == pb::StoreAction::REMOVE);
  CHECK(w->proposed[0].actions(0).node().id() == "node2");
}

TEST_CASE_METHOD(role_fixture,
                 "role change: a follower forwards the "
                 "request to the leader",
                 "[actor]") {
  swarm(3, 0, 2);
  auto r = ask_ok<pb::ControlReply>(change(demote("node3")),
                                    role_change_atom_v);
  CHECK(r.code() == 0);
  CHECK(w->sent == std::vector<std::string>{"1 " + control_kind});
  CHECK(w->confs.empty());
}

TEST_CASE_METHOD(role_fixture,
                 "role change: the leader demoting itself "
                 "hands leadership over, polls every 100 ms and "
                 "forwards 300 ms after another manager leads",
                 "[actor]") {
  swarm(3, 0);
  auto h = self->request(change(demote("node1")), caf::infinite,
                         role_change_atom_v);
  drain();
  CHECK(w->transfers == std::vector<uint64_t>{2});
  auto polls = w->status_requests;
  advance(100ms);
  CHECK(w->status_requests == polls + 1);
  w->status.lead = 2;
  w->status.is_leader = false;
  advance(100ms);
  CHECK(w->status_requests == polls + 2);
  advance(299ms);
  CHECK(w->sent.empty());
  advance(1ms);
  CHECK(w->sent == std::vector<std::string>{"2 " + control_kind});
  REQUIRE_FALSE(self->mailbox().empty());
  h.receive([](pb::ControlReply& r) { CHECK(r.code() == 0); },
            [](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(w->confs.empty());
}

TEST_CASE_METHOD(role_fixture,
                 "role change: a leadership transfer that does "
                 "not complete gives up after 50 more polls",
                 "[actor]") {
  swarm(3, 0);
  auto h = self->request(change(demote("node1")), caf::infinite,
                         role_change_atom_v);
  drain();
  for (int i = 0; i < 50; ++i)
    advance(100ms);
  CHECK(self->mailbox().empty());
  advance(100ms);
  REQUIRE_FALSE(self->mailbox().empty());
  h.receive(
    [](pb::ControlReply& r) {
      CHECK(r.code() == static_cast<uint32_t>(errc::timeout));
      CHECK(r.error() == "leadership transfer did not complete; try again");
    },
    [](caf::error& err) { FAIL(caf::to_string(err)); });
}

TEST_CASE_METHOD(role_fixture,
                 "role change: a request without node "
                 "references is not a membership change",
                 "[actor]") {
  swarm(1, 0);
  pb::ControlRequest req;
  req.mutable_node_role()->set_role(pb::NodeSpec::WORKER);
  auto r = ask_ok<pb::ControlReply>(change(req), role_change_atom_v);
  CHECK(r.code() == static_cast<uint32_t>(errc::bad_request));
  CHECK(r.error() == "not a membership change");
}
