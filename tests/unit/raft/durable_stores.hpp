#pragma once

// Test helpers for the raft code over the durable stores: the memory twins
// and a real data dir (RocksDB log, snapshot files) behind one interface,
// store wrappers that crash after the k-th write, and a peer (durable_log +
// raft_core) that runs the raft actor's Ready loop. For start-up reconcile
// and force-new-cluster tests.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/raft/durable_log.hpp"
#include "actors/raft/raft_core.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "unit/persistence/fixtures.hpp"
#include "unit/raft/raft_fixture.hpp"

namespace actorswarm::raft::test {

// -- stores -------------------------------------------------------------------

/// The memory twins; reopen() is a crash that keeps synced writes.
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

/// A data dir (RocksDB log, snapshot files) in a temp dir; reopen() closes
/// and opens it again.
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

// -- crashing after the k-th write --------------------------------------------

/// Thrown instead of a write once the budget is used up: the process "died"
/// before that write (nothing of it applied).
struct crashed {};

/// Writes allowed before the crash, shared by a log and a snapshot wrapper.
struct write_budget {
  /// Writes still allowed; negative: no limit.
  int64_t left = -1;
  /// Writes done so far.
  int64_t used = 0;

  void spend() {
    if (left == 0)
      throw crashed{};
    if (left > 0)
      --left;
    ++used;
  }
};

/// A log_store that forwards to `inner` and crashes at the budget's end.
class crashing_log_store : public persistence::log_store {
public:
  crashing_log_store(persistence::log_store& inner, write_budget& b)
    : inner_(inner), budget_(b) {
    // nop
  }

  uint64_t first_index() const override {
    return inner_.first_index();
  }
  uint64_t last_index() const override {
    return inner_.last_index();
  }
  result<uint64_t> term(uint64_t i) const override {
    return inner_.term(i);
  }
  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override {
    return inner_.entries(lo, hi, max_bytes);
  }
  pb::HardState hard_state() const override {
    return inner_.hard_state();
  }
  persistence::snapshot_point snapshot() const override {
    return inner_.snapshot();
  }
  void save(const persistence::log_write& x) override {
    budget_.spend();
    inner_.save(x);
  }
  status compact_prefix(uint64_t index, uint64_t term) override {
    budget_.spend();
    return inner_.compact_prefix(index, term);
  }
  void clear() override {
    budget_.spend();
    inner_.clear();
  }

private:
  persistence::log_store& inner_;
  write_budget& budget_;
};

/// A snapshot_store that forwards to `inner` and crashes at the budget's end.
class crashing_snapshot_store : public persistence::snapshot_store {
public:
  crashing_snapshot_store(persistence::snapshot_store& inner, write_budget& b)
    : inner_(inner), budget_(b) {
    // nop
  }

  status save(const pb::SnapshotMetadata& meta,
              const std::string& data) override {
    budget_.spend();
    return inner_.save(meta, data);
  }
  result<std::optional<pb::Snapshot>> load_latest() const override {
    return inner_.load_latest();
  }
  status save_message(const pb::SnapshotMetadata& meta,
                      const google::protobuf::MessageLite& state) override {
    budget_.spend();
    return inner_.save_message(meta, state);
  }
  result<std::optional<pb::SnapshotMetadata>>
  load_latest_message(google::protobuf::MessageLite& state) const override {
    return inner_.load_latest_message(state);
  }
  void clear() override {
    budget_.spend();
    inner_.clear();
  }

private:
  persistence::snapshot_store& inner_;
  write_budget& budget_;
};

/// Sets a bug switch (actors/raft/bug_switches.hpp) for one scope.
struct switch_guard {
  bool& flag;
  bool saved;
  switch_guard(bool& f, bool value) : flag(f), saved(f) {
    flag = value;
  }
  ~switch_guard() {
    flag = saved;
  }
};

// -- a peer over the stores -----------------------------------------------------

/// The newest snapshot of `snaps`, if any (the test fails if none verifies).
/// Entry `index` at `term`, data "e<index>".
inline pb::Entry entry(uint64_t index, uint64_t term) {
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data("e" + std::to_string(index));
  return e;
}

/// Snapshot metadata at (index, term) of the voters 1, 2, 3.
inline pb::SnapshotMetadata three_voter_meta(uint64_t index, uint64_t term) {
  pb::SnapshotMetadata m;
  m.set_index(index);
  m.set_term(term);
  for (uint64_t id = 1; id <= 3; ++id)
    *m.mutable_conf_state()->add_voters() = member(id);
  return m;
}

inline std::optional<pb::Snapshot> newest(persistence::snapshot_store& snaps) {
  auto x = snaps.load_latest();
  REQUIRE(x.ok());
  return *x;
}

/// Why a raft_core built on (log, snapshot at `applied`) would abort, or ""
/// (the assertions of durable_log's and raft_core's constructors).
inline std::string start_blocker(const persistence::log_store& log,
                                 uint64_t applied) {
  if (applied > 0 && applied + 1 < log.first_index())
    return "snapshot " + std::to_string(applied) + " before the log's first "
           + std::to_string(log.first_index());
  if (log.hard_state().commit() > log.last_index())
    return "commit " + std::to_string(log.hard_state().commit())
           + " beyond last " + std::to_string(log.last_index());
  if (applied > log.last_index())
    return "applied " + std::to_string(applied) + " beyond last "
           + std::to_string(log.last_index());
  return "";
}

/// A restarted peer: the state machine restored from `latest` (its index is
/// the applied index), then the raft actor's Ready loop (persist, apply,
/// advance) over durable_log. Build it only when start_blocker() is "".
struct peer {
  durable_log log;
  raft_core core;
  std::vector<pb::Entry> applied;

  peer(persistence::log_store& s, persistence::snapshot_store& sn,
       const std::optional<pb::SnapshotMetadata>& latest, uint64_t id)
    : log(s, &sn, latest),
      core(config(id, latest ? latest->index() : 0), log, 7) {
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

  /// Ticks until the core leads (bounded: a few election timeouts).
  void tick_until_leader() {
    for (int i = 0; i < 100 && core.state() != role::leader; ++i) {
      core.tick();
      run();
    }
  }
};

} // namespace actorswarm::raft::test
