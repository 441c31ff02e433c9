// One test per rule of the Raft paper (Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm"), after etcd's raft_paper_test.go.

#include "actors/raft/raft_core.hpp"

#include <catch2/catch.hpp>

#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using namespace actorswarm::raft::test;

namespace {

pb::RaftMessage msg(pb::RaftMessage::Type t, uint64_t from, uint64_t to,
                    uint64_t term) {
  pb::RaftMessage m;
  m.set_type(t);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

pb::Entry entry(uint64_t index, uint64_t term, std::string data = "") {
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

/// Makes node 1 of a 3-voter group leader at term 2 by granting its votes.
void make_leader(test_node& n) {
  n.core->campaign_now();
  for (auto& m : n.take()) {
    auto t = m.type() == pb::RaftMessage::PRE_VOTE
               ? pb::RaftMessage::PRE_VOTE_RESP
               : pb::RaftMessage::VOTE_RESP;
    n.step(msg(t, m.to(), 1, m.term()));
  }
  for (auto& m : n.take()) {
    if (m.type() == pb::RaftMessage::VOTE)
      n.step(msg(pb::RaftMessage::VOTE_RESP, m.to(), 1, m.term()));
  }
  n.take();
}

} // namespace

// Raft §5.1
TEST_CASE("raft: any node seeing a higher term adopts it and follows",
          "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  make_leader(n);
  REQUIRE(n.core->state() == role::leader);
  auto t = n.core->term();
  n.step(msg(pb::RaftMessage::APP, 2, 1, t + 3));
  CHECK(n.core->state() == role::follower);
  CHECK(n.core->term() == t + 3);
  CHECK(n.core->lead() == 2);
}

// Raft §5.1
TEST_CASE("raft: follower rejects AppendEntries with stale term", "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  n.step(msg(pb::RaftMessage::HEARTBEAT, 2, 1, 5));
  auto last = n.core->log().last_index();
  auto m = msg(pb::RaftMessage::APP, 3, 1, 4);
  m.set_index(last);
  m.set_log_term(1);
  *m.add_entries() = entry(last + 1, 4, "stale");
  n.take();
  n.step(m);
  CHECK(n.core->log().last_index() == last);
  CHECK(n.core->term() == 5);
  auto out = n.take();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type() == pb::RaftMessage::APP_RESP);
  CHECK(out[0].term() == 5); // tells the stale leader our term
}

// Raft §5.2
TEST_CASE("raft: follower starts an election after a randomized timeout",
          "[unit]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto cfg = config(1);
    cfg.pre_vote = false;
    test_node n{cfg, {1, 2, 3}, seed};
    auto timeout = n.core->randomized_election_timeout();
    CHECK(timeout >= cfg.election_tick);
    CHECK(timeout < 2 * cfg.election_tick);
    n.tick(static_cast<int>(timeout) - 1);
    CHECK(n.core->state() == role::follower);
    n.tick();
    CHECK(n.core->state() == role::candidate);
    CHECK(n.core->vote() == 1);
    auto out = n.take();
    CHECK(out.size() == 2);
    for (auto& m : out)
      CHECK(m.type() == pb::RaftMessage::VOTE);
  }
}

// Raft §5.2
TEST_CASE("raft: a voter grants at most one vote per term", "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  auto last = n.core->log().last_index();
  auto v2 = msg(pb::RaftMessage::VOTE, 2, 1, 2);
  v2.set_index(last);
  v2.set_log_term(1);
  auto v3 = v2;
  v3.set_from(3);
  n.step(v2);
  n.step(v3);
  auto out = n.take();
  REQUIRE(out.size() == 2);
  CHECK_FALSE(out[0].reject());
  CHECK(out[1].reject());
  CHECK(n.core->vote() == 2);
  n.step(v2); // a retry from the same candidate is granted again
  auto again = n.take();
  REQUIRE(again.size() == 1);
  CHECK_FALSE(again[0].reject());
}

// Raft §5.2
TEST_CASE("raft: candidate with a majority becomes leader and sends a no-op",
          "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  make_leader(n);
  CHECK(n.core->state() == role::leader);
  CHECK(n.core->lead() == 1);
  auto last = n.core->log().last_index();
  auto t = n.core->log().term(last);
  CHECK(t == n.core->term());
}

// Raft §5.2
TEST_CASE("raft: candidate steps down on AppendEntries of its term", "[unit]") {
  auto cfg = config(1);
  cfg.pre_vote = false;
  test_node n{cfg, {1, 2, 3}};
  n.core->campaign_now();
  REQUIRE(n.core->state() == role::candidate);
  auto m = msg(pb::RaftMessage::HEARTBEAT, 2, 1, n.core->term());
  n.step(m);
  CHECK(n.core->state() == role::follower);
  CHECK(n.core->lead() == 2);
}

// Raft §5.2
TEST_CASE("raft: leader sends heartbeats every heartbeat tick", "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  make_leader(n);
  n.tick();
  auto out = n.take();
  size_t hb = 0;
  for (auto& m : out)
    hb += m.type() == pb::RaftMessage::HEARTBEAT;
  CHECK(hb == 2);
}

// Raft §5.3
TEST_CASE("raft: leader commits an entry once a majority stored it", "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  make_leader(n);
  auto idx = n.core->propose("x");
  REQUIRE(idx.ok());
  n.take();
  CHECK(n.core->log().committed() < *idx);
  auto r = msg(pb::RaftMessage::APP_RESP, 2, 1, n.core->term());
  r.set_index(*idx);
  n.step(r);
  CHECK(n.core->log().committed() == *idx);
  CHECK(n.applied_data() == std::vector<std::string>{"x"});
}

// Raft §5.3
TEST_CASE("raft: follower rejects AppendEntries whose previous entry does "
          "not match",
          "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  auto last = n.core->log().last_index();
  auto m = msg(pb::RaftMessage::APP, 2, 1, 3);
  m.set_index(last + 5);
  m.set_log_term(3);
  *m.add_entries() = entry(last + 6, 3);
  n.step(m);
  auto out = n.take();
  REQUIRE(out.size() == 1);
  CHECK(out[0].reject());
  CHECK(out[0].reject_hint() == last);
  CHECK(n.core->log().last_index() == last);
}

// Raft §5.3
TEST_CASE("raft: follower deletes conflicting entries and appends the "
          "leader's",
          "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  auto last = n.core->log().last_index();
  auto m = msg(pb::RaftMessage::APP, 2, 1, 2);
  m.set_index(last);
  m.set_log_term(1);
  *m.add_entries() = entry(last + 1, 2, "a");
  *m.add_entries() = entry(last + 2, 2, "b");
  n.step(m);
  REQUIRE(n.core->log().last_index() == last + 2);
  auto m2 = msg(pb::RaftMessage::APP, 3, 1, 3);
  m2.set_index(last);
  m2.set_log_term(1);
  *m2.add_entries() = entry(last + 1, 3, "c");
  n.step(m2);
  CHECK(n.core->log().last_index() == last + 1);
  CHECK(n.core->log().term(last + 1) == 3u);
  CHECK(n.log.term(last + 1).value() == 3u);
}

// Raft §5.4.1
TEST_CASE("raft: voter rejects a candidate whose log is less up to date",
          "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  auto last = n.core->log().last_index();
  auto m = msg(pb::RaftMessage::APP, 2, 1, 2);
  m.set_index(last);
  m.set_log_term(1);
  *m.add_entries() = entry(last + 1, 2, "a");
  n.step(m);
  n.take();
  // Lower last term loses even with a longer log.
  auto v = msg(pb::RaftMessage::VOTE, 3, 1, 3);
  v.set_index(last + 10);
  v.set_log_term(1);
  n.core->peer_down(2); // drop the lease so only the log decides
  n.step(v);
  auto out = n.take();
  REQUIRE(!out.empty());
  CHECK(out.back().type() == pb::RaftMessage::VOTE_RESP);
  CHECK(out.back().reject());
}

// Raft §5.4.2 (Figure 8)
TEST_CASE("raft: leader does not commit entries of earlier terms by counting "
          "replicas",
          "[unit]") {
  test_node n{config(1), {1, 2, 3}};
  // An entry of term 2 from an old leader, not committed.
  auto last = n.core->log().last_index();
  auto m = msg(pb::RaftMessage::APP, 2, 1, 2);
  m.set_index(last);
  m.set_log_term(1);
  *m.add_entries() = entry(last + 1, 2, "old");
  n.step(m);
  n.core->peer_down(2);
  n.take();
  make_leader(n); // term 3, appends its no-op at last + 2
  REQUIRE(n.core->state() == role::leader);
  auto t = n.core->term();
  // A follower acknowledges only the old entry: it must not commit.
  auto r = msg(pb::RaftMessage::APP_RESP, 3, 1, t);
  r.set_index(last + 1);
  n.step(r);
  CHECK(n.core->log().committed() == last);
  // Once the no-op of the current term is replicated, both commit.
  r.set_index(last + 2);
  n.step(r);
  CHECK(n.core->log().committed() == last + 2);
}
