#include "actors/dispatcher/dispatcher_actor.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "actor/store_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// What the fake agent saw from the dispatcher.
struct agent_seen {
  std::optional<pb::SessionReply> session;
  std::vector<pb::Assignments> assignments;
};

using agent_seen_ptr = std::shared_ptr<agent_seen>;

// Stands in for the agent: opens a session for `node_id` on start, records
// what the dispatcher sends, and on the test's cue sends one heartbeat or
// one status batch in the session.
caf::behavior fake_agent(caf::event_based_actor* self,
                         dispatcher::dispatcher_actor_type dispatcher,
                         std::string node_id, agent_seen_ptr seen) {
  pb::SessionRequest req;
  req.set_node_id(node_id);
  req.mutable_description()->set_hostname("host-" + node_id);
  req.set_addr("127.0.0.1:42377");
  self
    ->request(dispatcher, caf::infinite, session_atom::value, req,
              caf::actor_cast<dispatcher::assignee_actor_type>(self))
    .then([=](const pb::SessionReply& r) { seen->session = r; });
  auto session_id = [=] {
    return seen->session ? seen->session->session_id() : std::string{};
  };
  return {
    [=](assign_atom, const pb::Assignments& as) {
      seen->assignments.push_back(as);
    },
    [=](heartbeat_atom) {
      pb::Heartbeat hb;
      hb.set_node_id(node_id);
      hb.set_session_id(session_id());
      self->send(dispatcher, heartbeat_atom::value, hb);
    },
    [=](status_batch_atom, pb::StatusBatch& b) {
      b.set_node_id(node_id);
      b.set_session_id(session_id());
      self->send(dispatcher, status_batch_atom::value, std::move(b));
    },
  };
}

pb::TaskStatusUpdate update(const std::string& task_id, pb::TaskState s) {
  pb::TaskStatusUpdate u;
  u.set_task_id(task_id);
  u.mutable_status()->set_state(s);
  return u;
}

struct dispatcher_fixture : store_fixture {
  dispatcher::dispatcher_actor_type dispatcher;
  caf::actor agent;
  agent_seen_ptr seen = std::make_shared<agent_seen>();
  pb::Service svc = make_service("svc1", make_spec("web", 3));

  // n1 (this agent's node, not yet READY) and n2; t1, t2 placed on n1, t3 on
  // n2, t4 not placed yet.
  dispatcher_fixture() {
    spawn_store();
    propose(batch_of(pb::StoreAction::CREATE,
                     make_node("n1", pb::NodeStatus::UNKNOWN)));
    propose(batch_of(pb::StoreAction::CREATE, make_node("n2")));
    propose(batch_of(pb::StoreAction::CREATE, svc));
    create_task("t1", 1, "n1", pb::ASSIGNED);
    create_task("t2", 2, "n1", pb::RUNNING);
    create_task("t3", 3, "n2", pb::ASSIGNED);
    create_task("t4", 4, "", pb::PENDING);
    dispatcher::dispatcher_config cfg;
    cfg.heartbeat_period_ms = 1000;
    cfg.heartbeat_misses_max = 2;
    dispatcher = track(dispatcher::spawn_dispatcher(sys, store, clk, cfg));
    drain();
  }

  void start_agent() {
    agent = track(sys.spawn(fake_agent, dispatcher, std::string{"n1"}, seen));
    drain();
  }

  void create_task(const std::string& id, uint64_t slot,
                   const std::string& node, pb::TaskState s) {
    propose(batch_of(pb::StoreAction::CREATE,
                     make_task(id, svc, slot, node, s)));
  }

  pb::NodeStatus::State node_state(const std::string& id) {
    return view()->nodes().at(id)->status().state();
  }

  pb::TaskState task_state(const std::string& id) {
    return view()->tasks().at(id)->status().state();
  }

  void send_status(std::vector<pb::TaskStatusUpdate> xs) {
    pb::StatusBatch b;
    for (auto& x : xs)
      *b.add_updates() = x;
    caf::anon_send(agent, status_batch_atom::value, std::move(b));
    drain();
  }
};

std::vector<std::string> ids_of(const pb::Assignments& as) {
  std::vector<std::string> out;
  for (auto& t : as.update())
    out.push_back(t.id());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE_METHOD(dispatcher_fixture,
                 "dispatcher: a session gets its id, the heartbeat period and "
                 "the full assignment set",
                 "[actor]") {
  start_agent();
  REQUIRE(seen->session);
  auto& sid = seen->session->session_id();
  CHECK_FALSE(sid.empty());
  CHECK(seen->session->heartbeat_period_ns() == 1'000'000'000);
  REQUIRE(seen->assignments.size() == 1);
  auto& as = seen->assignments[0];
  CHECK(as.full());
  CHECK(as.session_id() == sid);
  CHECK(ids_of(as) == std::vector<std::string>{"t1", "t2"});
  CHECK(as.remove().empty());
  // The session registers the node with what the agent described.
  auto n = view()->nodes().at("n1");
  CHECK(n->status().state() == pb::NodeStatus::READY);
  CHECK(n->status().addr() == "127.0.0.1:42377");
  CHECK(n->description().hostname() == "host-n1");
}

TEST_CASE_METHOD(dispatcher_fixture,
                 "dispatcher: store changes reach the node as incremental "
                 "assignments",
                 "[actor]") {
  start_agent();
  REQUIRE(seen->assignments.size() == 1);
  create_task("t5", 5, "n1", pb::ASSIGNED);
  create_task("t6", 6, "n2", pb::ASSIGNED); // another node's: not sent
  drain();
  REQUIRE(seen->assignments.size() == 2);
  auto& as = seen->assignments[1];
  CHECK_FALSE(as.full());
  CHECK(as.session_id() == seen->session->session_id());
  CHECK(ids_of(as) == std::vector<std::string>{"t5"});
  // A task of this node that ends is removed from the set.
  send_status({update("t2", pb::FAILED)});
  REQUIRE(seen->assignments.size() == 3);
  auto& rm = seen->assignments[2];
  CHECK(rm.update().empty());
  CHECK(std::vector<std::string>(rm.remove().begin(), rm.remove().end())
        == std::vector<std::string>{"t2"});
}

TEST_CASE_METHOD(dispatcher_fixture,
                 "dispatcher: status reports moving a task forward land in "
                 "the store, backward ones are dropped",
                 "[actor]") {
  start_agent();
  send_status({update("t1", pb::RUNNING)});
  CHECK(task_state("t1") == pb::RUNNING);
  auto last = log.last_index();
  send_status({update("t1", pb::PREPARING), update("t2", pb::ACCEPTED)});
  CHECK(task_state("t1") == pb::RUNNING);
  CHECK(task_state("t2") == pb::RUNNING);
  CHECK(log.last_index() == last); // nothing proposed
  // In one batch, the forward report goes through and the backward one not.
  send_status({update("t2", pb::ASSIGNED), update("t1", pb::COMPLETE)});
  CHECK(task_state("t1") == pb::COMPLETE);
  CHECK(task_state("t2") == pb::RUNNING);
}

TEST_CASE_METHOD(dispatcher_fixture,
                 "dispatcher: a node is DOWN after the configured heartbeat "
                 "misses and READY again on its next heartbeat",
                 "[actor]") {
  start_agent();
  REQUIRE(node_state("n1") == pb::NodeStatus::READY);
  // Heartbeats on time keep it READY.
  for (int i = 0; i < 5; ++i) {
    advance(1s);
    caf::anon_send(agent, heartbeat_atom::value);
    drain();
  }
  CHECK(node_state("n1") == pb::NodeStatus::READY);
  // Silence: misses 1 and 2 are tolerated, the third marks the node DOWN.
  advance(1s);
  advance(1s);
  CHECK(node_state("n1") == pb::NodeStatus::READY);
  advance(1s);
  auto n = view()->nodes().at("n1");
  CHECK(n->status().state() == pb::NodeStatus::DOWN);
  CHECK(n->status().message() == "heartbeat failure");
  caf::anon_send(agent, heartbeat_atom::value);
  drain();
  CHECK(node_state("n1") == pb::NodeStatus::READY);
}

namespace {

pb::Task on_app(pb::Task t, const std::string& addr) {
  auto& a = *t.add_networks();
  a.set_network_id("app");
  a.add_addresses(addr);
  return t;
}

} // namespace

TEST_CASE_METHOD(dispatcher_fixture,
                 "dispatcher: a node gets its networks with its assignments "
                 "and their changes alone when only they moved",
                 "[actor]") {
  pb::Network net;
  net.set_id("app");
  net.mutable_spec()->set_name("app");
  net.set_vni(4097);
  net.mutable_ipam()->set_subnet("10.0.1.0/24");
  pb::StoreBatch b;
  b.set_atomic(true);
  auto* a = b.add_actions();
  a->set_kind(pb::StoreAction::CREATE);
  *a->mutable_network() = net;
  propose(std::move(b));
  // t2 (n1) and t3 (n2) join the network; n2 has an address, so t3 is a
  // peer of n1's.
  auto n2 = *view()->nodes().at("n2");
  n2.mutable_status()->set_addr("192.168.1.2:2377");
  propose(batch_of(pb::StoreAction::UPDATE, n2));
  auto t2 = on_app(*view()->tasks().at("t2"), "10.0.1.5/24");
  propose(batch_of(pb::StoreAction::UPDATE, t2));
  auto t3 = on_app(*view()->tasks().at("t3"), "10.0.1.6/24");
  propose(batch_of(pb::StoreAction::UPDATE, t3));
  start_agent();
  // The full set, then n1's own address (its session marked it READY) made
  // t2 a peer: a network part alone.
  REQUIRE_FALSE(seen->assignments.empty());
  auto& full = seen->assignments[0];
  CHECK(full.full());
  CHECK(full.networks_set());
  REQUIRE(full.networks_size() == 1);
  CHECK(full.networks(0).network().id() == "app");
  auto& last = seen->assignments.back();
  REQUIRE(last.networks_size() == 1);
  CHECK(last.networks(0).peers_size() == 2);
  auto sent = seen->assignments.size();
  // t3 runs on n2: n1's view of the network changed (a VIP backend of the
  // service), though none of n1's tasks did.
  t3 = *view()->tasks().at("t3");
  t3.mutable_status()->set_state(pb::RUNNING);
  propose(batch_of(pb::StoreAction::UPDATE, t3));
  REQUIRE(seen->assignments.size() == sent + 1);
  auto& inc = seen->assignments.back();
  CHECK(inc.update().empty());
  CHECK(inc.networks_set());
  REQUIRE(inc.networks_size() == 1);
  REQUIRE(inc.networks(0).services_size() == 1);
  auto& bs = inc.networks(0).services(0).backends();
  CHECK(std::find(bs.begin(), bs.end(), "10.0.1.6/24") != bs.end());
  // A change that moves nothing of n1's network part sends nothing.
  create_task("t5", 5, "n2", pb::ASSIGNED);
  CHECK(seen->assignments.size() == sent + 1);
}
