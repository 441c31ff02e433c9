// Terms and indexes a peer announces are checked before any arithmetic
// (issue #8): a forged message with term 2^64-1 once made the next election
// wrap to term 0. Absurd values are refused and change nothing.

#include "actors/raft/raft_core.hpp"

#include <cstdint>
#include <limits>

#include <catch2/catch.hpp>

#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using namespace actorswarm::raft::test;

namespace {

constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();

pb::RaftMessage heartbeat(uint64_t from, uint64_t to, uint64_t term) {
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::HEARTBEAT);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

struct snapshot_of_state {
  uint64_t term, vote, lead, last_index, committed;
  role state;

  explicit snapshot_of_state(const raft_core& c)
    : term(c.term()),
      vote(c.vote()),
      lead(c.lead()),
      last_index(c.log().last_index()),
      committed(c.log().committed()),
      state(c.state()) {
  }

  bool operator==(const snapshot_of_state& o) const {
    return term == o.term && vote == o.vote && lead == o.lead
           && last_index == o.last_index && committed == o.committed
           && state == o.state;
  }
};

} // namespace

TEST_CASE("raft: a message with term 2^64-1 is refused and the next "
          "election does not wrap",
          "[unit]") {
  test_cluster c{3};
  c.elect(1);
  REQUIRE(c.leader() == 1);
  auto& f = c[2];
  auto before = snapshot_of_state{*f.core};
  f.step(heartbeat(3, 2, u64_max));
  CHECK(snapshot_of_state{*f.core} == before);
  CHECK(f.take().empty());
  // Its next election moves one term up, never to 0.
  f.core->campaign_now();
  f.flush();
  CHECK(f.core->term() >= before.term);
  CHECK(f.core->term() <= before.term + 1);
}

TEST_CASE("raft: absurd terms and indexes in any field are refused with no "
          "state change",
          "[unit]") {
  test_cluster c{3};
  c.elect(1);
  REQUIRE(c.leader() == 1);
  auto& f = c[2];
  auto term = f.core->term();
  auto cases = std::vector<pb::RaftMessage>{};
  auto m = heartbeat(1, 2, term_max + 1);
  cases.push_back(m);
  m = heartbeat(1, 2, term);
  m.set_type(pb::RaftMessage::APP);
  m.set_index(u64_max);
  m.set_log_term(term);
  cases.push_back(m);
  m.set_index(0);
  m.set_log_term(u64_max);
  cases.push_back(m);
  m.set_log_term(0);
  m.set_commit(u64_max);
  cases.push_back(m);
  m.set_commit(0);
  auto* e = m.add_entries();
  e->set_index(u64_max - 1);
  e->set_term(term);
  cases.push_back(m);
  m.clear_entries();
  e = m.add_entries();
  e->set_index(1);
  e->set_term(u64_max);
  cases.push_back(m);
  m.clear_entries();
  m.set_type(pb::RaftMessage::SNAP);
  m.mutable_snapshot()->mutable_metadata()->set_index(u64_max);
  m.mutable_snapshot()->mutable_metadata()->set_term(term);
  cases.push_back(m);
  m.mutable_snapshot()->mutable_metadata()->set_index(1);
  m.mutable_snapshot()->mutable_metadata()->set_term(u64_max);
  cases.push_back(m);
  m.clear_snapshot();
  m.set_type(pb::RaftMessage::APP_RESP);
  m.set_reject(true);
  m.set_reject_hint(u64_max);
  cases.push_back(m);
  auto v = heartbeat(3, 2, u64_max);
  v.set_type(pb::RaftMessage::VOTE);
  cases.push_back(v);
  v.set_type(pb::RaftMessage::PRE_VOTE);
  cases.push_back(v);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ": " << cases[i].ShortDebugString());
    auto before = snapshot_of_state{*f.core};
    f.step(cases[i]);
    CHECK(snapshot_of_state{*f.core} == before);
    CHECK(f.take().empty());
  }
  // The leader refuses an absurd answer too.
  auto& l = c[1];
  auto before = snapshot_of_state{*l.core};
  auto r = heartbeat(2, 1, l.core->term());
  r.set_type(pb::RaftMessage::APP_RESP);
  r.set_index(u64_max);
  l.step(r);
  CHECK(snapshot_of_state{*l.core} == before);
  CHECK(l.core->progress_of(2)->match < u64_max);
}

TEST_CASE("raft: a peer restored at the last usable term does not campaign "
          "past it",
          "[unit]") {
  memory_log log;
  bootstrap(log, {1, 2, 3});
  auto hs = log.hard_state();
  hs.set_term(term_max);
  log.set_hard_state(hs);
  raft_core core{config(1), log, 1};
  core.campaign_now();
  CHECK(core.term() == term_max);
  CHECK(core.state() == role::follower);
  bool sent = false;
  if (core.has_ready())
    sent = !core.ready().messages.empty();
  CHECK_FALSE(sent);
}
