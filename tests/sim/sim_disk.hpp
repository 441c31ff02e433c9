#pragma once

// Fault-injecting twins of the daemon's store interfaces (issue #9, "The
// simulation finds the next one"): persistence::log_store and
// persistence::snapshot_store as the simulated disk of one node. Each keeps
// what a crash keeps (the durable image) apart from what the process sees
// (the volatile image):
// - unsynced log writes (log_write::sync == false) are lost at a crash,
//   except a prefix of them (a torn tail: RocksDB's WAL keeps whole write
//   batches, synced or not, so a tear is a prefix of unsynced batches,
//   never part of one batch);
// - a crash can be armed at any write (the k-th mutating call of either
//   store, counted together): before it (nothing of it is durable) or after
//   it (durable, but nothing the process did afterwards escapes);
// - an fsync error is fail-stop: the write may or may not be durable, and
//   the node stops (modelled as a crash at that write);
// - a corrupt record on read stops the node with a clear error
//   (AS_FAIL_STOP, as the real store does when a checksum fails);
// - a snapshot write can fail before it is published (errc::internal: the
//   caller retries later).
// A crashed disk is frozen: no later write reaches it, until the simulation
// restarts the node (crash()), which drops the volatile image.

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "persistence/log_store.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::sim {

/// How an armed crash hits its write.
enum class crash_mode : uint8_t { before, after, fsync_error };

/// The faults of one node's disk, shared by its log and snapshot twins.
struct disk_faults {
  explicit disk_faults(uint64_t seed) : rng(seed) {
    // nop
  }

  std::mt19937_64 rng;
  /// Mutating calls so far, both stores together.
  uint64_t writes = 0;
  /// Crash at this write (0: none armed) and how.
  uint64_t crash_at = 0;
  crash_mode mode = crash_mode::before;
  /// Probability that one entries() read finds a corrupt record.
  double corrupt_read = 0;
  /// Probability that a snapshot write fails before publication.
  double snapshot_write_error = 0;
  /// Whether a crash keeps a random prefix of the unsynced writes.
  bool torn_tail = true;
  /// Whether an armed crash may fall between publishing a snapshot and
  /// the log write after it (the window of issue #9 defect 1).
  bool crash_after_publish = true;
  /// The previous write published a snapshot.
  bool last_was_publish = false;
  /// Crashed: no write reaches the disk any more.
  bool frozen = false;
  /// Why it froze ("" while not frozen).
  std::string why;

  bool chance(double p) {
    return p > 0 && static_cast<double>(rng() % 1000000) < p * 1000000;
  }

  /// Arms a crash `in` writes from now.
  void arm(uint64_t in, crash_mode m) {
    crash_at = writes + (in == 0 ? 1 : in);
    mode = m;
  }

  /// Freezes the disk now (the process was killed).
  void freeze(std::string reason) {
    if (!frozen) {
      frozen = true;
      why = std::move(reason);
    }
  }

  /// Called before every write: whether it reaches the disk. Sets
  /// `freeze_after` when the crash comes right after this write.
  bool begin_write(const char* what, bool& freeze_after);

  /// After a write that began with freeze_after set.
  void end_write(const char* what);
};

/// The log_store twin. Reports what it persists to the observer (the
/// simulation's Raft checker).
class sim_log_store : public persistence::log_store {
public:
  /// Called with each write that reached the volatile image, and the term
  /// of the entry before its first entry (nullopt: unknown, compacted).
  using save_observer = std::function<void(const persistence::log_write&,
                                           std::optional<uint64_t>)>;

  explicit sim_log_store(disk_faults& faults) : faults_(faults) {
    // nop
  }

  uint64_t first_index() const override {
    return live_.first_index();
  }
  uint64_t last_index() const override {
    return live_.last_index();
  }
  result<uint64_t> term(uint64_t i) const override {
    return live_.term(i);
  }
  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override;
  pb::HardState hard_state() const override {
    return live_.hard_state();
  }
  persistence::snapshot_point snapshot() const override {
    return live_.snapshot();
  }
  void save(const persistence::log_write& x) override;
  status compact_prefix(uint64_t index, uint64_t term) override;
  void clear() override;

  /// The process died: the volatile image reverts to the durable one, plus
  /// (torn tail) a random prefix of the unsynced writes. Unfreezes.
  void crash();

  /// The process stopped cleanly (its components, not the machine):
  /// nothing volatile is lost. Unfreezes.
  void stop();

  /// Number of unsynced writes a crash may lose.
  size_t unsynced() const {
    return pending_.size();
  }

  /// What the process sees, without faults (for the checkers).
  const persistence::memory_log_store& volatile_image() const {
    return live_;
  }

  void set_observer(save_observer f) {
    observer_ = std::move(f);
  }

private:
  void flush_pending();

  disk_faults& faults_;
  persistence::memory_log_store live_;
  persistence::memory_log_store durable_;
  std::vector<persistence::log_write> pending_;
  save_observer observer_;
};

/// The snapshot_store twin (the files: each save is published by a synced
/// rename, so durable once it returns).
class sim_snapshot_store : public persistence::snapshot_store {
public:
  explicit sim_snapshot_store(disk_faults& faults) : faults_(faults) {
    // nop
  }

  status save(const pb::SnapshotMetadata& meta,
              const std::string& data) override;
  result<std::optional<pb::Snapshot>> load_latest() const override {
    return inner_.load_latest();
  }
  status save_message(const pb::SnapshotMetadata& meta,
                      const google::protobuf::MessageLite& state) override;
  result<std::optional<pb::SnapshotMetadata>>
  load_latest_message(google::protobuf::MessageLite& state) const override {
    return inner_.load_latest_message(state);
  }
  void clear() override;

  size_t size() const {
    return inner_.size();
  }

private:
  disk_faults& faults_;
  persistence::memory_snapshot_store inner_;
};

} // namespace actorswarm::sim
