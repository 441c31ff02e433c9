// The joining side of `swarm join` (actors/node/join_actor.hpp) against a
// scripted transport, membership actor and store: the JoinRequest is sent
// again every 100 ms while the swarm has no leader, a new manager reads
// every 20 ms until it caught up, and every failure answers with a code.

#include "actors/node/join_actor.hpp"

#include <chrono>
#include <memory>

#include "actors/node/membership.hpp"
#include "actors/node/membership_steps.hpp"
#include "support/actor_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::node;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

// What the manager at the remote address answers, and what it saw.
struct remote_script {
  int not_leader = 0; // answers not_leader to this many joins first
  pb::JoinReply answer;
  bool unreachable = false;
  int joins = 0;
  std::string remote;
  pb::JoinRequest request;
};

using remote_ptr = std::shared_ptr<remote_script>;

caf::behavior fake_transport(caf::event_based_actor*, remote_ptr s) {
  return {
    [=](cluster_join_atom, const std::string& remote, const std::string& pin,
        const std::string& bytes) -> caf::result<std::string> {
      ++s->joins;
      s->remote = remote;
      CHECK(pin == std::string(32, 'p'));
      CHECK(s->request.ParseFromString(bytes));
      if (s->unreachable)
        return make_error(errc::unavailable, "connection refused");
      if (s->joins > s->not_leader)
        return s->answer.SerializeAsString();
      pb::JoinReply r;
      r.set_code(static_cast<uint32_t>(errc::not_leader));
      r.set_error(no_leader().message);
      return r.SerializeAsString();
    },
  };
}

join_port_type::behavior_type fake_node(caf::actor transport) {
  return {
    [=](transport_open_atom) {
      return caf::actor_cast<net::cluster_transport_actor_type>(transport);
    },
  };
}

// The membership actor's part: counts adoptions, answers with `store`.
struct recorder_seen {
  int adopts = 0;
  std::string addr;
};

join_recorder_type::behavior_type
fake_recorder(std::shared_ptr<recorder_seen> seen, caf::actor store) {
  return {
    [=](join_adopt_atom, const pb::JoinReply& r, const std::string& addr)
      -> caf::result<pb::ControlReply, store::store_actor_type> {
      ++seen->adopts;
      seen->addr = addr;
      pb::ControlReply out;
      out.mutable_info()->set_cluster_id(r.cluster_id());
      return {out, caf::actor_cast<store::store_actor_type>(store)};
    },
  };
}

// A store whose replica is stale for the first `stale` reads.
caf::behavior fake_store(caf::event_based_actor*, int stale,
                         std::shared_ptr<int> reads) {
  return {
    [=](read_atom) { return ++*reads > stale; },
  };
}

pb::JoinReply admitted() {
  pb::JoinReply r;
  r.set_cluster_id("c1");
  r.set_manager(true);
  r.add_managers("10.0.0.1:2377");
  return r;
}

struct join_fixture : actor_fixture {
  remote_ptr remote = std::make_shared<remote_script>();
  std::shared_ptr<recorder_seen> seen = std::make_shared<recorder_seen>();
  std::shared_ptr<int> reads = std::make_shared<int>(0);

  // Spawns a join whose new store is stale for `stale` reads (no store:
  // a worker).
  join_actor_type start(int stale, bool worker = false) {
    caf::actor store;
    if (!worker)
      store = track(sys.spawn(fake_store, stale, reads));
    auto transport = track(sys.spawn(fake_transport, remote));
    auto node = track(sys.spawn(fake_node, transport));
    auto recorder = track(sys.spawn(fake_recorder, seen, store));
    pb::JoinRequest jr;
    jr.set_token("TOKEN");
    jr.set_node_id("n2");
    return spawn_join(self.ptr(), {node, recorder, "10.0.0.1:2377", jr,
                                   "10.0.0.2:2377", std::string(32, 'p')});
  }
};

// The join's answer, once it arrived.
template <class Handle>
pb::ControlReply answer_of(caf::scoped_actor& self, Handle& h) {
  REQUIRE_FALSE(self->mailbox().empty());
  pb::ControlReply out;
  h.receive([&](pb::ControlReply& r) { out = std::move(r); },
            [&](caf::error& err) { FAIL(caf::to_string(err)); });
  return out;
}

} // namespace

TEST_CASE_METHOD(join_fixture,
                 "node join: sent again every 100 ms while the "
                 "swarm has no leader, then adopted, a new "
                 "manager reads every 20 ms until it caught up",
                 "[actor]") {
  remote->not_leader = 2;
  remote->answer = admitted();
  auto j = start(2);
  auto h = self->request(j, caf::infinite, node_join_atom_v);
  drain();
  CHECK(remote->joins == 1);
  CHECK(remote->remote == "10.0.0.1:2377");
  CHECK(remote->request.token() == "TOKEN");
  advance(99ms);
  CHECK(remote->joins == 1);
  advance(1ms);
  CHECK(remote->joins == 2);
  CHECK(seen->adopts == 0);
  advance(100ms);
  CHECK(remote->joins == 3);
  CHECK(seen->adopts == 1);
  CHECK(seen->addr == "10.0.0.2:2377");
  CHECK(*reads == 1);
  advance(19ms);
  CHECK(*reads == 1);
  advance(1ms);
  CHECK(*reads == 2);
  CHECK(self->mailbox().empty());
  advance(20ms);
  CHECK(*reads == 3);
  auto r = answer_of(self, h);
  CHECK(r.code() == 0);
  CHECK(r.info().cluster_id() == "c1");
  CHECK(r.warning().empty());
}

TEST_CASE_METHOD(join_fixture,
                 "node join: a manager that does not catch up "
                 "answers with a warning after 100 more reads",
                 "[actor]") {
  remote->answer = admitted();
  auto j = start(1'000'000);
  auto h = self->request(j, caf::infinite, node_join_atom_v);
  drain();
  for (int i = 0; i < catch_up_polls; ++i) {
    CHECK(self->mailbox().empty());
    advance(20ms);
  }
  CHECK(*reads == catch_up_polls + 1);
  auto r = answer_of(self, h);
  CHECK(r.code() == 0);
  CHECK(r.warning() == "this manager has not caught up with the leader yet");
}

TEST_CASE_METHOD(join_fixture, "node join: a worker answers once adopted",
                 "[actor]") {
  remote->answer = admitted();
  remote->answer.set_manager(false);
  auto j = start(0, true);
  auto h = self->request(j, caf::infinite, node_join_atom_v);
  drain();
  CHECK(seen->adopts == 1);
  auto r = answer_of(self, h);
  CHECK(r.code() == 0);
  CHECK(*reads == 0);
}

TEST_CASE_METHOD(join_fixture,
                 "node join: a refusal is answered with the "
                 "manager's code and text, nothing recorded",
                 "[actor]") {
  remote->answer.set_code(static_cast<uint32_t>(errc::invalid_token));
  remote->answer.set_error("invalid join token");
  auto j = start(0);
  auto h = self->request(j, caf::infinite, node_join_atom_v);
  drain();
  auto r = answer_of(self, h);
  CHECK(r.code() == static_cast<uint32_t>(errc::invalid_token));
  CHECK(r.error() == "invalid join token");
  CHECK(seen->adopts == 0);
  CHECK(remote->joins == 1);
}

TEST_CASE_METHOD(join_fixture,
                 "node join: without a leader it gives up after "
                 "100 joins with docker's no-leader text",
                 "[actor]") {
  remote->not_leader = 1'000;
  auto j = start(0);
  auto h = self->request(j, caf::infinite, node_join_atom_v);
  drain();
  for (int i = 1; i < join_attempts; ++i)
    advance(100ms);
  CHECK(remote->joins == join_attempts);
  auto r = answer_of(self, h);
  CHECK(r.code() == static_cast<uint32_t>(errc::not_leader));
  CHECK(r.error() == no_leader().message);
  advance(100ms);
  CHECK(remote->joins == join_attempts);
}

TEST_CASE_METHOD(join_fixture,
                 "node join: an unreachable manager is "
                 "answered as unavailable",
                 "[actor]") {
  remote->unreachable = true;
  auto j = start(0);
  auto h = self->request(j, caf::infinite, node_join_atom_v);
  drain();
  auto r = answer_of(self, h);
  CHECK(r.code() == static_cast<uint32_t>(errc::unavailable));
  CHECK(r.error()
        == "could not join the swarm through 10.0.0.1:2377: "
           "connection refused");
  CHECK(seen->adopts == 0);
}
