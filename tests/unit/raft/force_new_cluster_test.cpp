#include "actors/raft/force_new_cluster.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/durable_log.hpp"
#include "actors/raft/raft_core.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "unit/persistence/fixtures.hpp"
#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using raft::test::member;

namespace {

// -- stores -------------------------------------------------------------------

// The memory twins; reopen() is a crash that keeps synced writes.
struct memory_stores {
  persistence::memory_log_store log_;
  persistence::memory_snapshot_store snaps_;

  persistence::log_store& log() {
    return log_;
  }

  persistence::snapshot_store& snaps() {
    return snaps_;
  }

  void reopen() {
    log_.crash();
  }
};

// A data dir (RocksDB log, snapshot files) in a temp dir; reopen() closes
// and opens it again.
struct rocksdb_stores {
  persistence::test::tmp_dir dir;
  std::unique_ptr<persistence::data_dir> dd
    = persistence::test::must_open(dir.path());

  persistence::log_store& log() {
    return dd->log();
  }

  persistence::snapshot_store& snaps() {
    return dd->snapshots();
  }

  void reopen() {
    dd.reset();
    dd = persistence::test::must_open(dir.path());
  }
};

// -- the old group ------------------------------------------------------------

constexpr uint64_t old_term = 3;

pb::Entry entry(uint64_t index, uint64_t term) {
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data("e" + std::to_string(index));
  return e;
}

pb::SnapshotMetadata old_meta(uint64_t index, uint64_t term) {
  pb::SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  for (uint64_t id = 1; id <= 3; ++id)
    *m.mutable_conf_state()->add_voters() = member(id);
  return m;
}

// What a follower of a 3-voter group holds: bootstrap entries 1..3 (term 1),
// 4..7 (term 2), 8..`last` (term 3); commit 9; snapshots at 3 and
// `snap_index`, the log compacted to `compact_index` (durable_log keeps the
// log back to the previous snapshot).
void write_old_group(persistence::log_store& log,
                     persistence::snapshot_store& snaps, uint64_t last,
                     uint64_t snap_index, uint64_t compact_index) {
  persistence::log_write w;
  w.entries = bootstrap_entries({member(1), member(2), member(3)});
  for (uint64_t i = 4; i <= last; ++i)
    w.entries.push_back(entry(i, i < 8 ? 2 : old_term));
  pb::HardState hs;
  hs.set_term(old_term);
  hs.set_vote(1);
  hs.set_commit(std::min<uint64_t>(9, last));
  w.hard_state = hs;
  log.save(w);
  auto term_of = [&](uint64_t i) { return *log.term(i); };
  REQUIRE(snaps.save(old_meta(3, 1), "old@3").ok());
  REQUIRE(snaps.save(old_meta(snap_index, term_of(snap_index)), "old").ok());
  REQUIRE(log.compact_prefix(compact_index, term_of(compact_index)).ok());
}

// -- a peer over the stores -------------------------------------------------

// Runs the Ready loop the raft actor runs (persist, apply, advance).
struct peer {
  durable_log log;
  raft_core core;
  std::vector<pb::Entry> applied;

  peer(persistence::log_store& s, persistence::snapshot_store& sn,
       const pb::SnapshotMetadata& latest, uint64_t id)
    : log(s, &sn, latest), core(config(id, latest.index()), log, 7) {
    // nop
  }

  static raft_config config(uint64_t id, uint64_t applied_index) {
    raft_config cfg;
    cfg.id = id;
    cfg.applied = applied_index;
    return cfg;
  }

  void run() {
    for (int i = 0; i < 10 && core.has_ready(); ++i) {
      auto rd = core.ready();
      log.persist(rd);
      for (auto& e : rd.committed_entries)
        applied.push_back(e);
      core.advance(rd);
    }
  }

  // Ticks until the core leads (bounded: a few election timeouts).
  void tick_until_leader() {
    for (int i = 0; i < 100 && core.state() != role::leader; ++i) {
      core.tick();
      run();
    }
  }
};

// The stores after force_new_cluster(applied, me = 2, "state"): one voter,
// no entries, the state machine in the snapshot, a fresh term. Then a core
// built on them elects itself and commits a proposal.
template <class Stores>
void check_new_cluster(Stores& st, uint64_t applied, uint64_t snap_term,
                       uint64_t term) {
  auto& log = st.log();
  CHECK(log.first_index() == applied + 1);
  CHECK(log.last_index() == applied);
  CHECK(*log.term(applied) == snap_term);
  CHECK(log.hard_state().term() == term);
  CHECK(log.hard_state().vote() == 0);
  CHECK(log.hard_state().commit() == applied);
  auto latest = st.snaps().load_latest();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  const auto& snap = **latest;
  CHECK(snap.data() == "state");
  CHECK(snap.metadata().index() == applied);
  CHECK(snap.metadata().term() == snap_term);
  CHECK(voter_ids(snap.metadata().conf_state()) == std::vector<uint64_t>{2});
  peer p{log, st.snaps(), snap.metadata(), 2};
  CHECK(voter_ids(p.core.conf_state()) == std::vector<uint64_t>{2});
  CHECK(p.core.term() == term);
  CHECK(p.core.log().applied() == applied);
  p.tick_until_leader();
  REQUIRE(p.core.state() == role::leader);
  CHECK(p.core.term() > term);
  auto idx = p.core.propose("x");
  REQUIRE(idx.ok());
  CHECK(*idx == applied + 2); // after the new leader's empty entry
  p.run();
  CHECK(log.hard_state().commit() == *idx);
  REQUIRE_FALSE(p.applied.empty());
  CHECK(p.applied.front().index() == applied + 1);
  CHECK(p.applied.back().data() == "x");
}

pb::SnapshotMetadata force(persistence::log_store& log,
                           persistence::snapshot_store& snaps,
                           uint64_t applied) {
  auto r = force_new_cluster(log, snaps, "state", applied, member(2));
  if (!r)
    FAIL("force_new_cluster: " << r.error().message);
  return *r;
}

} // namespace

TEMPLATE_TEST_CASE("raft: force_new_cluster leaves one voter that keeps the "
                   "state, drops the old group's entries and leads alone",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  // Entries up to 11, committed up to 9, the store applied up to 8.
  write_old_group(st.log(), st.snaps(), 11, 5, 3);
  auto meta = force(st.log(), st.snaps(), 8);
  CHECK(meta.index() == 8);
  CHECK(meta.term() == old_term);
  CHECK(voter_ids(meta.conf_state()) == std::vector<uint64_t>{2});
  st.reopen();
  check_new_cluster(st, 8, old_term, old_term + 1);
}

TEMPLATE_TEST_CASE("raft: force_new_cluster at the latest snapshot's index "
                   "takes the snapshot's term",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  SECTION("the log still holds entries up to the snapshot") {
    write_old_group(st.log(), st.snaps(), 8, 8, 5);
  }
  SECTION("the log is compacted to the snapshot (installed from a leader)") {
    write_old_group(st.log(), st.snaps(), 8, 8, 8);
  }
  force(st.log(), st.snaps(), 8);
  st.reopen();
  check_new_cluster(st, 8, old_term, old_term + 1);
}

TEMPLATE_TEST_CASE("raft: force_new_cluster repeated after a crash between "
                   "its steps gives the same group",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  write_old_group(st.log(), st.snaps(), 11, 5, 3);
  pb::SnapshotMetadata meta;
  meta.set_index(8);
  meta.set_term(old_term);
  *meta.mutable_conf_state()->add_voters() = member(2);
  uint64_t term = old_term + 1;
  SECTION("after success") {
    force(st.log(), st.snaps(), 8);
    term += 1; // the repeated call bumps the term once more
  }
  SECTION("after the snapshot was published") {
    REQUIRE(st.snaps().save(meta, "state").ok());
  }
  SECTION("after the log was cleared") {
    REQUIRE(st.snaps().save(meta, "state").ok());
    st.log().clear();
  }
  SECTION("after the log was compacted") {
    REQUIRE(st.snaps().save(meta, "state").ok());
    st.log().clear();
    REQUIRE(st.log().compact_prefix(8, old_term).ok());
  }
  st.reopen();
  auto again = force(st.log(), st.snaps(), 8);
  CHECK(again.SerializeAsString() == meta.SerializeAsString());
  st.reopen();
  check_new_cluster(st, 8, old_term, term);
}

TEST_CASE("raft: force_new_cluster refuses what it cannot keep and changes "
          "nothing",
          "[unit]") {
  memory_stores st;
  write_old_group(st.log(), st.snaps(), 11, 5, 3);
  auto hs = st.log().hard_state().SerializeAsString();
  SECTION("raft id 0") {
    auto r = force_new_cluster(st.log(), st.snaps(), "s", 8, member(0));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::invalid_spec);
  }
  SECTION("nothing applied") {
    auto r = force_new_cluster(st.log(), st.snaps(), "s", 0, member(2));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::bad_request);
  }
  SECTION("applied beyond the log") {
    auto r = force_new_cluster(st.log(), st.snaps(), "s", 12, member(2));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::bad_request);
  }
  SECTION("applied below the log's compaction point") {
    auto r = force_new_cluster(st.log(), st.snaps(), "s", 2, member(2));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::bad_request);
  }
  CHECK(st.log().first_index() == 4);
  CHECK(st.log().last_index() == 11);
  CHECK(st.log().hard_state().SerializeAsString() == hs);
  CHECK(st.snaps_.size() == 2);
}
