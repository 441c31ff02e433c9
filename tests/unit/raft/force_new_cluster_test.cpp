#include "actors/raft/force_new_cluster.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/raft/bug_switches.hpp"
#include "actors/raft/conf_change.hpp"
#include "actors/raft/startup_reconcile.hpp"
#include "unit/raft/durable_stores.hpp"
#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using namespace actorswarm::raft::test;

namespace {

// -- the old group ------------------------------------------------------------

constexpr uint64_t old_term = 3;
constexpr uint64_t old_commit = 9;
constexpr uint64_t old_applied = 8;

// What a follower of a 3-voter group holds: bootstrap entries 1..3 (term 1),
// 4..7 (term 2), 8..`last` (term 3) where 9 adds member 4 (committed, not
// yet applied: the store applied 8); commit 9; snapshots at 3 and
// `snap_index`, the log compacted to `compact_index` (durable_log keeps the
// log back to the previous snapshot). Returns the entries by index.
template <class Stores>
std::map<uint64_t, std::string> write_old_group(Stores& st, uint64_t last,
                                                uint64_t snap_index,
                                                uint64_t compact_index) {
  auto& log = st.log();
  persistence::log_write w;
  w.entries = bootstrap_entries({member(1), member(2), member(3)});
  for (uint64_t i = 4; i <= last; ++i)
    w.entries.push_back(entry(i, i < 8 ? 2 : old_term));
  if (last >= 9) {
    w.entries[8].set_type(pb::Entry::CONF_CHANGE);
    w.entries[8].set_data(
      conf_change(pb::ConfChange::ADD_NODE, 4).SerializeAsString());
  }
  pb::HardState hs;
  hs.set_term(old_term);
  hs.set_vote(1);
  hs.set_commit(std::min(old_commit, last));
  w.hard_state = hs;
  log.save(w);
  std::map<uint64_t, std::string> out;
  for (auto& e : w.entries)
    out[e.index()] = e.SerializeAsString();
  auto term_of = [&](uint64_t i) { return *log.term(i); };
  REQUIRE(st.snaps().save(three_voter_meta(3, 1), "old@3").ok());
  REQUIRE(st.snaps()
            .save(three_voter_meta(snap_index, term_of(snap_index)), "old")
            .ok());
  REQUIRE(log.compact_prefix(compact_index, term_of(compact_index)).ok());
  return out;
}

result<forced_cluster> force(persistence::log_store& log,
                             persistence::snapshot_store& snaps) {
  return force_new_cluster(log, snaps, "state", old_applied, member(2));
}

// -- restart and invariants ---------------------------------------------------

// What a restart of node 2 shows: started as the old node (voters 1..4) or
// the new group (2 alone); "" unless something is wrong.
struct restart_view {
  std::string violation;
  bool alone = false;
};

// Restarts node 2 on the stores as the daemon does (start-up reconcile, the
// store restores the newest snapshot, the core starts with applied at its
// index and applies the committed entries) and checks: no refusal, no
// abort, every entry the old group committed kept. A node alone must lead
// and commit a proposal.
template <class Stores>
restart_view restart(Stores& st, const std::map<uint64_t, std::string>& old) {
  restart_view out;
  st.reopen();
  auto& log = st.log();
  if (auto r = reconcile_at_startup(log, st.snaps()); !r) {
    out.violation = "reconcile refused: " + r.error().message;
    return out;
  }
  auto snap = newest(st.snaps());
  uint64_t applied = snap ? snap->metadata().index() : 0;
  out.violation = start_blocker(log, applied);
  if (!out.violation.empty())
    return out;
  std::optional<pb::SnapshotMetadata> latest;
  if (snap)
    latest = snap->metadata();
  peer p{log, st.snaps(), latest, 2};
  p.run();
  auto kept = std::min(old_commit, old.rbegin()->first);
  for (uint64_t i = applied + 1; i <= kept; ++i) {
    auto x = std::find_if(p.applied.begin(), p.applied.end(),
                          [&](const pb::Entry& e) { return e.index() == i; });
    if (x == p.applied.end() || x->SerializeAsString() != old.at(i)) {
      out.violation = "committed entry " + std::to_string(i) + " lost";
      return out;
    }
  }
  auto voters = voter_ids(p.core.conf_state());
  out.alone = voters == std::vector<uint64_t>{2};
  if (!out.alone && voters != std::vector<uint64_t>{1, 2, 3, 4}) {
    out.violation = "neither the old group nor the new one: "
                    + std::to_string(voters.size()) + " voters";
    return out;
  }
  if (out.alone) {
    p.tick_until_leader();
    auto idx = p.core.propose("x");
    p.run();
    if (p.core.state() != role::leader || !idx
        || log.hard_state().commit() < *idx)
      out.violation = "the new group does not commit";
  }
  return out;
}

// force_new_cluster with a crash before write number `k` (0: before the
// first), a restart, then (if the crash came first) force_new_cluster again
// and a restart. "" or the first violation.
template <class Stores>
std::string crash_at(int64_t k, int64_t& writes) {
  Stores st;
  auto old = write_old_group(st, 11, 5, 3);
  write_budget budget;
  budget.left = k;
  crashing_log_store log{st.log(), budget};
  crashing_snapshot_store snaps{st.snaps(), budget};
  bool completed = true;
  try {
    auto r = force(log, snaps);
    if (!r)
      return "force_new_cluster failed: " + r.error().message;
  } catch (const crashed&) {
    completed = false;
  }
  writes = budget.used;
  auto view = restart(st, old);
  if (!view.violation.empty())
    return "crash before write " + std::to_string(k) + ": " + view.violation;
  if (completed && !view.alone)
    return "a completed run left the old group";
  if (view.alone)
    return "";
  if (auto r = force(st.log(), st.snaps()); !r)
    return "repeat failed: " + r.error().message;
  view = restart(st, old);
  if (!view.violation.empty() || !view.alone)
    return "after the repeat: " + view.violation;
  return "";
}

} // namespace

TEMPLATE_TEST_CASE("raft: force_new_cluster keeps every committed entry, "
                   "drops the uncommitted ones and leaves one voter that "
                   "leads alone",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  // Entries up to 11, committed up to 9 (9 adds member 4), applied up to 8.
  auto old = write_old_group(st, 11, 5, 3);
  auto r = force(st.log(), st.snaps());
  REQUIRE(r.ok());
  CHECK(r->kept_commit == old_commit);
  CHECK(r->dropped_entries == 2);
  CHECK(r->removed_voters == 3); // 1, 3 and 4, re-added by entry 9
  CHECK(r->term == old_term + 1);
  CHECK(r->commit == old_commit + 3);
  CHECK(st.log().last_index() == old_commit + 3);
  CHECK(st.log().hard_state().vote() == 0);
  auto view = restart(st, old);
  CHECK(view.violation.empty());
  CHECK(view.alone);
  // A repeat after success (the restart led and committed a proposal):
  // everything committed kept, one empty entry, the term bumped again.
  auto hs = st.log().hard_state();
  CHECK(hs.commit() > old_commit + 3);
  auto again = force(st.log(), st.snaps());
  REQUIRE(again.ok());
  CHECK(again->kept_commit == hs.commit());
  CHECK(again->removed_voters == 0);
  CHECK(again->commit == hs.commit() + 1);
  CHECK(again->term == hs.term() + 1);
  view = restart(st, old);
  CHECK(view.violation.empty());
  CHECK(view.alone);
}

TEMPLATE_TEST_CASE("raft: force_new_cluster on a log compacted to the latest "
                   "snapshot keeps it",
                   "[unit]", memory_stores, rocksdb_stores) {
  TestType st;
  std::map<uint64_t, std::string> old;
  SECTION("the log still holds entries up to the snapshot") {
    old = write_old_group(st, 8, 8, 5);
  }
  SECTION("the log is compacted to the snapshot (installed from a leader)") {
    old = write_old_group(st, 8, 8, 8);
  }
  auto r = force(st.log(), st.snaps());
  REQUIRE(r.ok());
  CHECK(r->kept_commit == 8);
  CHECK(r->dropped_entries == 0);
  auto view = restart(st, old);
  CHECK(view.violation.empty());
  CHECK(view.alone);
}

TEMPLATE_TEST_CASE("raft: force_new_cluster crashed before any of its writes "
                   "restarts as the old node or the new group, keeps every "
                   "committed entry, and a repeat completes",
                   "[unit]", memory_stores, rocksdb_stores) {
  int64_t writes = 0;
  // Bounded: a run takes a handful of writes; the last k completes it.
  for (int64_t k = 0; k <= 8; ++k) {
    INFO("crash before write " << k);
    CHECK(crash_at<TestType>(k, writes) == "");
    if (k > writes)
      break;
  }
  CHECK(writes >= 1);
}

TEST_CASE("raft: with bugs::unsafe_force_new_cluster the crash test finds "
          "issue #9 defect 3 again",
          "[unit]") {
  switch_guard unsafe{bugs::unsafe_force_new_cluster, true};
  int64_t writes = 0;
  std::vector<std::string> found;
  for (int64_t k = 0; k <= 8; ++k) {
    auto v = crash_at<memory_stores>(k, writes);
    if (!v.empty())
      found.push_back(v);
    if (k > writes)
      break;
  }
  // Even a run without a crash loses entry 9 (committed, not applied).
  REQUIRE_FALSE(found.empty());
  CHECK(found.front() == "after the repeat: committed entry 9 lost");
  CHECK(crash_at<memory_stores>(2, writes)
        == "crash before write 2: committed entry 9 lost");
  SECTION("and without the start-up reconcile a crash leaves a node that "
          "cannot start") {
    switch_guard skip{bugs::skip_startup_reconcile, true};
    CHECK(crash_at<memory_stores>(2, writes)
          == "crash before write 2: applied 8 beyond last 0");
  }
}

TEST_CASE("raft: force_new_cluster refuses what it cannot keep and changes "
          "nothing",
          "[unit]") {
  memory_stores st;
  write_old_group(st, 11, 5, 3);
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
  SECTION("the snapshots are gone") {
    st.snaps().clear();
    auto r = force_new_cluster(st.log(), st.snaps(), "s", 8, member(2));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::data_corrupt);
  }
  CHECK(st.log().first_index() == 4);
  CHECK(st.log().last_index() == 11);
  CHECK(st.log().hard_state().SerializeAsString() == hs);
}
