#include "actors/raft/startup_reconcile.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/raft/bug_switches.hpp"
#include "actors/raft/conf_change.hpp"
#include "unit/raft/durable_stores.hpp"
#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using namespace actorswarm::raft::test;

namespace {

constexpr uint64_t leader_term = 3;
constexpr uint64_t snap_index = 12;

// Follower 2 of a 3-voter group: bootstrap entries 1..3 (term 1), 4..`last`
// at `term`, commit `commit`, hard state term `term`; its own snapshot at 3
// and the log compacted to 3.
template <class Stores>
void write_follower(Stores& st, uint64_t last, uint64_t term, uint64_t commit) {
  persistence::log_write w;
  w.entries = bootstrap_entries({member(1), member(2), member(3)});
  for (uint64_t i = 4; i <= last; ++i)
    w.entries.push_back(entry(i, term));
  pb::HardState hs;
  hs.set_term(term);
  hs.set_commit(commit);
  w.hard_state = hs;
  st.log().save(w);
  REQUIRE(st.snaps().save(three_voter_meta(3, 1), "own@3").ok());
  REQUIRE(st.log().compact_prefix(3, 1).ok());
}

// The leader's snapshot at (snap_index, leader_term) published, the log not
// compacted yet: the state a crash inside durable_log::persist leaves.
template <class Stores>
void publish_leader_snapshot(Stores& st) {
  REQUIRE(
    st.snaps().save(three_voter_meta(snap_index, leader_term), "leader").ok());
}

// Starts a peer on the stores as the store and raft actors do, and lets the
// leader (1) append entry snap_index + 1 and commit it: the peer follows.
template <class Stores>
void check_starts_and_follows(Stores& st, uint64_t first, uint64_t last) {
  auto& log = st.log();
  CHECK(log.first_index() == first);
  CHECK(log.last_index() == last);
  CHECK(*log.term(snap_index) == leader_term);
  CHECK(log.hard_state().term() >= leader_term);
  auto snap = newest(st.snaps());
  REQUIRE(snap);
  REQUIRE(start_blocker(log, snap->metadata().index()).empty());
  peer p{log, st.snaps(), snap->metadata(), 2};
  CHECK(p.core.log().applied() == snap_index);
  CHECK(voter_ids(p.core.conf_state()) == std::vector<uint64_t>{1, 2, 3});
  p.run();
  pb::RaftMessage app;
  app.set_type(pb::RaftMessage::APP);
  app.set_from(1);
  app.set_to(2);
  app.set_term(leader_term);
  app.set_index(last);
  app.set_log_term(*log.term(last));
  *app.add_entries() = entry(last + 1, leader_term);
  app.set_commit(last + 1);
  p.core.step(app);
  p.run();
  REQUIRE_FALSE(p.applied.empty());
  CHECK(p.applied.front().index() == snap_index + 1);
  CHECK(p.applied.back().index() == last + 1);
  CHECK(log.last_index() == last + 1);
}

} // namespace

TEMPLATE_TEST_CASE("raft: start-up reconcile makes the log consistent with a "
                   "snapshot published just before a crash",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  uint64_t first = snap_index + 1;
  uint64_t last = snap_index;
  auto action = reconcile_action::replaced;
  SECTION("the log holds the snapshot's index with its term: kept") {
    write_follower(st, 15, leader_term, 10);
    first = 4;
    last = 15;
    action = reconcile_action::none;
  }
  SECTION("the log has another term there (uncommitted): dropped") {
    write_follower(st, 15, 2, 6);
  }
  SECTION("the log ends before the snapshot: dropped") {
    write_follower(st, 8, 2, 6);
  }
  publish_leader_snapshot(st);
  st.reopen();
  auto r = reconcile_at_startup(st.log(), st.snaps());
  REQUIRE(r.ok());
  CHECK(r->action == action);
  CHECK(r->snapshot_index == snap_index);
  CHECK(r->first_index == first);
  CHECK(r->last_index == last);
  st.reopen();
  // Idempotent: a second run (or one after a crash after it) does nothing.
  auto again = reconcile_at_startup(st.log(), st.snaps());
  REQUIRE(again.ok());
  CHECK(again->action == reconcile_action::none);
  CHECK_FALSE(again->raised_term);
  check_starts_and_follows(st, first, last);
}

TEMPLATE_TEST_CASE("raft: a crash inside durable_log::persist between the "
                   "leader's snapshot and the compaction starts after the "
                   "reconcile",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  write_follower(st, 8, 2, 6);
  write_budget budget;
  budget.left = 1; // the snapshot file; the compaction crashes
  crashing_log_store log{st.log(), budget};
  crashing_snapshot_store snaps{st.snaps(), budget};
  {
    durable_log dl{log, &snaps, three_voter_meta(3, 1)};
    ready rd;
    rd.snapshot.emplace();
    *rd.snapshot->mutable_metadata() = three_voter_meta(snap_index,
                                                        leader_term);
    rd.snapshot->set_data("leader");
    pb::HardState hs;
    hs.set_term(leader_term);
    hs.set_commit(snap_index);
    rd.hard_state = hs;
    rd.must_sync = true;
    CHECK_THROWS_AS(dl.persist(rd), crashed);
  }
  st.reopen();
  // Without the reconcile the core would abort on applied > last.
  CHECK_FALSE(start_blocker(st.log(), snap_index).empty());
  REQUIRE(reconcile_at_startup(st.log(), st.snaps()).ok());
  check_starts_and_follows(st, snap_index + 1, snap_index);
}

TEMPLATE_TEST_CASE("raft: start-up reconcile crashed before any of its "
                   "writes and run again gives the same start",
                   "[unit]", memory_stores, rocksdb_stores) {
  // Bounded: the reconcile writes at most twice (compaction, hard state).
  for (int64_t k = 0; k <= 2; ++k) {
    INFO("crash before write " << k);
    TestType st;
    write_follower(st, 15, 2, 6);
    publish_leader_snapshot(st);
    write_budget budget;
    budget.left = k;
    crashing_log_store log{st.log(), budget};
    try {
      auto r = reconcile_at_startup(log, st.snaps());
      CHECK(r.ok());
    } catch (const crashed&) {
      // the process died here
    }
    st.reopen();
    REQUIRE(reconcile_at_startup(st.log(), st.snaps()).ok());
    check_starts_and_follows(st, snap_index + 1, snap_index);
  }
}

TEST_CASE("raft: start-up reconcile refuses a committed entry that "
          "contradicts the snapshot, changing nothing",
          "[unit]") {
  memory_stores st;
  write_follower(st, 15, 2, 13);
  publish_leader_snapshot(st);
  auto r = reconcile_at_startup(st.log(), st.snaps());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::data_corrupt);
  CHECK(r.error().message
        == "the raft log's committed entry at index 12 has term 2 but the "
           "snapshot there has term 3");
  CHECK(st.log().first_index() == 4);
  CHECK(st.log().last_index() == 15);
}

TEMPLATE_TEST_CASE("raft: start-up reconcile refuses a compacted log whose "
                   "snapshots are gone, changing nothing",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  write_follower(st, 15, leader_term, 10);
  std::string why;
  SECTION("no snapshot at all") {
    st.snaps().clear();
    why = "the raft log is compacted to index 3 but there is no snapshot "
          "(the snapshot files are missing)";
  }
  SECTION("only a snapshot before the compaction point") {
    st.snaps().clear();
    REQUIRE(st.snaps().save(three_voter_meta(2, 1), "old@2").ok());
    why = "the raft log is compacted to index 3 but the newest readable "
          "snapshot is at index 2";
  }
  st.reopen();
  auto hs = st.log().hard_state().SerializeAsString();
  auto r = reconcile_at_startup(st.log(), st.snaps());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::data_corrupt);
  CHECK(r.error().message == why);
  st.reopen();
  CHECK(st.log().first_index() == 4);
  CHECK(st.log().last_index() == 15);
  CHECK(st.log().hard_state().SerializeAsString() == hs);
  auto snap = newest(st.snaps());
  CHECK((snap ? snap->metadata().index() : 0) < 3);
}

TEMPLATE_TEST_CASE("raft: start-up reconcile leaves a consistent data dir "
                   "as it is",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  SECTION("a new, empty one") {
    // nop
  }
  SECTION("a log from index 1 and no snapshot") {
    persistence::log_write w;
    w.entries = bootstrap_entries({member(1)});
    w.hard_state = bootstrap_hard_state(1);
    st.log().save(w);
  }
  SECTION("a log compacted to its snapshot") {
    write_follower(st, 15, leader_term, 10);
  }
  auto first = st.log().first_index();
  auto last = st.log().last_index();
  auto r = reconcile_at_startup(st.log(), st.snaps());
  REQUIRE(r.ok());
  CHECK(r->action == reconcile_action::none);
  CHECK(st.log().first_index() == first);
  CHECK(st.log().last_index() == last);
}

TEST_CASE("raft: with bugs::skip_startup_reconcile the log stays behind the "
          "snapshot (issue #9 defect 1 back)",
          "[unit]") {
  switch_guard on{bugs::skip_startup_reconcile, true};
  memory_stores st;
  write_follower(st, 8, 2, 6);
  publish_leader_snapshot(st);
  auto r = reconcile_at_startup(st.log(), st.snaps());
  REQUIRE(r.ok());
  CHECK(r->action == reconcile_action::none);
  CHECK(start_blocker(st.log(), snap_index) == "applied 12 beyond last 8");
}
