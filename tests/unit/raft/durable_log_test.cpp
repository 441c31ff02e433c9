#include "actors/raft/durable_log.hpp"

#include <catch2/catch.hpp>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/raft_core.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "unit/raft/raft_fixture.hpp"

using namespace actorswarm;
using namespace actorswarm::raft;
using raft::test::member;

namespace {

// One peer over the durable adapter: runs the Ready loop the raft actor runs
// (persist, then apply, then advance), applying into `applied`.
struct durable_peer {
  persistence::memory_log_store& store;
  persistence::memory_snapshot_store& snaps;
  durable_log log;
  raft_core core;
  std::vector<pb::Entry> applied;

  durable_peer(persistence::memory_log_store& s,
               persistence::memory_snapshot_store& sn, uint64_t applied_index,
               bool boot)
    : store(s),
      snaps(sn),
      log(s, &sn, latest(sn)),
      core(config(applied_index, boot, log), log, 7) {
    // nop
  }

  static std::optional<pb::SnapshotMetadata>
  latest(persistence::memory_snapshot_store& sn) {
    auto x = sn.load_latest();
    if (!x.ok() || !x->has_value())
      return std::nullopt;
    return (*x)->metadata();
  }

  static raft_config config(uint64_t applied_index, bool boot,
                            durable_log& log) {
    if (boot && log.empty())
      log.bootstrap({member(1)});
    raft_config cfg;
    cfg.id = 1;
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
};

} // namespace

TEST_CASE("raft: durable log bootstraps a one-member group that leads and "
          "commits through the log store",
          "[unit]") {
  persistence::memory_log_store store;
  persistence::memory_snapshot_store snaps;
  durable_peer p{store, snaps, 0, true};
  // The bootstrap entries are committed; applying them sets the membership.
  p.run();
  CHECK(voter_ids(p.core.conf_state()) == std::vector<uint64_t>{1});
  p.core.campaign_now();
  p.run();
  REQUIRE(p.core.state() == role::leader);
  auto idx = p.core.propose("x");
  REQUIRE(idx.ok());
  p.run();
  CHECK(store.last_index() == *idx);
  CHECK(store.hard_state().commit() == *idx);
  CHECK(store.hard_state().term() == p.core.term());
  REQUIRE_FALSE(p.applied.empty());
  CHECK(p.applied.back().data() == "x");
}

TEST_CASE("raft: durable log restart recovers term, vote and commit from the "
          "log store",
          "[unit]") {
  persistence::memory_log_store store;
  persistence::memory_snapshot_store snaps;
  uint64_t term = 0, last = 0;
  {
    durable_peer p{store, snaps, 0, true};
    p.run();
    p.core.campaign_now();
    p.run();
    REQUIRE(p.core.propose("a").ok());
    p.run();
    term = p.core.term();
    last = store.last_index();
  }
  store.crash();
  durable_peer q{store, snaps, 0, true};
  CHECK(q.core.term() == term);
  CHECK(q.core.vote() == 1);
  CHECK(q.core.log().last_index() == last);
  q.run();
  // The leader counts its own entries once they are durable, so the commit
  // index that covers "a" came in a later, unsynced write that the crash
  // lost: leading again commits it (Raft §8) and everything is handed out
  // again to a state machine at 0.
  CHECK(q.core.log().committed() <= last);
  q.core.campaign_now();
  q.run();
  REQUIRE(q.applied.size() >= last);
  CHECK(q.applied[last - 1].data() == "a");
}

TEST_CASE("raft: durable log snapshots compact the log to the previous "
          "snapshot and carry the conf state",
          "[unit]") {
  persistence::memory_log_store store;
  persistence::memory_snapshot_store snaps;
  durable_peer p{store, snaps, 0, true};
  p.run();
  p.core.campaign_now();
  p.run();
  auto snapshot_now = [&] {
    auto s = p.core.make_snapshot(p.core.log().applied(), "state");
    REQUIRE(s.ok());
    REQUIRE(p.log.save_snapshot(*s));
    return s->metadata().index();
  };
  for (int i = 0; i < 3; ++i) {
    REQUIRE(p.core.propose("e").ok());
    p.run();
  }
  auto first = snapshot_now();
  CHECK(store.first_index() == 1); // nothing older to fall back on yet
  for (int i = 0; i < 3; ++i) {
    REQUIRE(p.core.propose("f").ok());
    p.run();
  }
  auto second = snapshot_now();
  CHECK(store.first_index() == first + 1);
  CHECK(p.log.snapshot_index() == second);
  auto s = p.log.snapshot();
  REQUIRE(s.ok());
  CHECK(s->metadata().index() == second);
  // A restart from the snapshot knows the membership without the entries
  // that made it.
  durable_peer q{store, snaps, second, true};
  CHECK(voter_ids(q.log.conf_state()) == std::vector<uint64_t>{1});
  CHECK(voter_ids(q.core.conf_state()) == std::vector<uint64_t>{1});
}

TEST_CASE("raft: durable log installs a leader's snapshot before its entries",
          "[unit]") {
  persistence::memory_log_store store;
  persistence::memory_snapshot_store snaps;
  durable_log log{store, &snaps, std::nullopt};
  log.bootstrap({member(1), member(2)});
  ready rd;
  pb::Snapshot snap;
  snap.mutable_metadata()->set_index(10);
  snap.mutable_metadata()->set_term(3);
  *snap.mutable_metadata()->mutable_conf_state()->add_voters() = member(1);
  *snap.mutable_metadata()->mutable_conf_state()->add_voters() = member(2);
  snap.set_data("leader state");
  rd.snapshot = snap;
  pb::Entry e;
  e.set_index(11);
  e.set_term(3);
  rd.entries.push_back(e);
  pb::HardState hs;
  hs.set_term(3);
  hs.set_commit(10);
  rd.hard_state = hs;
  rd.must_sync = true;
  log.persist(rd);
  CHECK(store.first_index() == 11);
  CHECK(store.last_index() == 11);
  CHECK(store.hard_state().term() == 3);
  CHECK(log.snapshot_index() == 10);
  CHECK(voter_ids(log.conf_state()) == std::vector<uint64_t>{1, 2});
  auto latest = snaps.load_latest();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->data() == "leader state");
}

TEST_CASE("raft: durable log gives a pre-Raft log its single voter", "[unit]") {
  persistence::memory_log_store store;
  persistence::memory_snapshot_store snaps;
  // The one-host daemon's log: term 1, no conf entries.
  persistence::log_write w;
  for (uint64_t i = 1; i <= 3; ++i) {
    pb::Entry e;
    e.set_index(i);
    e.set_term(1);
    w.entries.push_back(e);
  }
  pb::HardState hs;
  hs.set_term(1);
  hs.set_vote(1);
  hs.set_commit(3);
  w.hard_state = hs;
  store.save(w);
  durable_log log{store, &snaps, std::nullopt};
  pb::ConfState boot;
  *boot.add_voters() = member(9);
  log.set_default_conf(boot);
  raft_config cfg;
  cfg.id = 9;
  raft_core core{cfg, log, 1};
  core.campaign_now();
  CHECK(core.state() == role::leader);
  CHECK(core.term() == 2);
}

namespace {

// Snapshots on a full disk: every save is refused (errc::no_space), as
// file_snapshot_store refuses on ENOSPC; nothing is published.
struct full_snapshot_store : persistence::memory_snapshot_store {
  status save(const pb::SnapshotMetadata&, const std::string&) override {
    return fail(errc::no_space, "cannot write snapshot: no space left");
  }
};

} // namespace

TEST_CASE("raft: durable log refuses the leader's snapshot on a full disk "
          "and changes nothing (the leader sends it again)",
          "[unit]") {
  persistence::memory_log_store store;
  full_snapshot_store snaps;
  durable_log log{store, &snaps, std::nullopt};
  log.bootstrap({member(1)});
  auto last = store.last_index();
  auto hs_before = store.hard_state();
  ready rd;
  pb::Snapshot snap;
  snap.mutable_metadata()->set_index(10);
  snap.mutable_metadata()->set_term(3);
  *snap.mutable_metadata()->mutable_conf_state()->add_voters() = member(1);
  snap.set_data("leader state");
  rd.snapshot = snap;
  pb::HardState hs;
  hs.set_term(3);
  hs.set_commit(10);
  rd.hard_state = hs;
  rd.must_sync = true;
  auto ok = log.persist(rd);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::no_space);
  CHECK(store.first_index() == 1);
  CHECK(store.last_index() == last);
  CHECK(store.hard_state().term() == hs_before.term());
  CHECK(log.snapshot_index() == 0);
}

TEST_CASE("raft: durable log refuses entries the disk refuses and changes "
          "nothing",
          "[unit]") {
  struct full_log : persistence::memory_log_store {
    status try_save(const persistence::log_write&) override {
      return fail(errc::no_space, "no space left on device in /d: the write "
                                  "was refused");
    }
  };
  full_log store;
  persistence::memory_snapshot_store snaps;
  durable_log log{store, &snaps, std::nullopt};
  log.bootstrap({member(1)});
  auto last = store.last_index();
  ready rd;
  pb::Entry e;
  e.set_index(last + 1);
  e.set_term(1);
  rd.entries.push_back(e);
  rd.must_sync = true;
  auto ok = log.persist(rd);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::no_space);
  CHECK(store.last_index() == last);
}
