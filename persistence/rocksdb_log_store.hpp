#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "persistence/at_rest.hpp"
#include "persistence/log_store.hpp"

namespace actorswarm::persistence {

/// The Raft log and hard state in a RocksDB database owned by a data_dir:
/// entries in column family `raft_log` under 8-byte big-endian index keys,
/// hard state and compaction point in `raft_state`. Every save is ONE
/// WriteBatch across both families, so a crash keeps all of it or none.
///
/// With a cipher (autolock), every entry is stored sealed (at_rest.hpp)
/// under the label "raft-entry/<index>", and a plain entry is corruption
/// (no downgrade). Hard state and compaction point stay plain: they hold
/// terms, a vote and indexes, no user data. Without a cipher the format is
/// unchanged, and a sealed entry is corruption too (a locked dir opened
/// without its key).
class rocksdb_log_store : public log_store {
public:
  /// Reads the compaction point, hard state and last index. `db` and the
  /// handles must outlive the store. Fails (errc::internal) on corrupt data.
  /// With `cipher`, opens every stored entry first, so a flipped byte or
  /// another key is refused here, at start-up, not in the middle of a run.
  /// `accept_plain` also takes plain entries under a cipher, until the next
  /// `reseal`: only while a conversion that a crash interrupted finishes.
  static result<std::unique_ptr<rocksdb_log_store>>
  load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log_cf,
       rocksdb::ColumnFamilyHandle* state_cf,
       std::shared_ptr<const at_rest::cipher> cipher = nullptr,
       bool accept_plain = false);

  uint64_t first_index() const override;

  uint64_t last_index() const override;

  result<uint64_t> term(uint64_t i) const override;

  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override;

  pb::HardState hard_state() const override;

  snapshot_point snapshot() const override;

  void save(const log_write& x) override;

  status try_save(const log_write& x) override;

  status compact_prefix(uint64_t index, uint64_t term) override;

  void clear() override;

  /// Rewrites every stored entry under `next` (nullptr: plain), in one
  /// synced batch, and uses `next` from then on: autolock turned on or off.
  /// Unlike the other methods it may be called from any thread: every
  /// method holds one mutex (uncontended but for this call), so the Raft
  /// peer never sees a half-converted log.
  void reseal(std::shared_ptr<const at_rest::cipher> next);

  /// Whether entries are stored sealed.
  bool sealed() const {
    std::lock_guard<std::mutex> guard{mu_};
    return cipher_ != nullptr;
  }

private:
  rocksdb_log_store(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log_cf,
                    rocksdb::ColumnFamilyHandle* state_cf,
                    std::shared_ptr<const at_rest::cipher> cipher);

  /// first_index() for methods that hold the mutex already.
  uint64_t first_unlocked() const noexcept {
    return snap_.index + 1;
  }

  /// Reads and parses the entry at `i`; fail-stop if missing or corrupt.
  pb::Entry read_entry(uint64_t i) const;

  /// The stored bytes of `e`: plain, or sealed under the cipher.
  std::string encode(const pb::Entry& e) const;

  /// The entry stored at `i` as `value`, or why it is corrupt.
  result<pb::Entry> decode(uint64_t i, const rocksdb::Slice& value) const;

  /// Opens every stored entry (load with a cipher).
  status verify_all() const;

  /// Writes `batch` (synced if `sync`): ok, or errc::no_space on a full
  /// disk (then nothing was written); fail-stop otherwise. `what` names the
  /// write. A database a full disk stopped is resumed first.
  status write(rocksdb::WriteBatch& batch, bool sync, const char* what);

  // Guards all below against a concurrent reseal.
  mutable std::mutex mu_;
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* log_cf_;
  rocksdb::ColumnFamilyHandle* state_cf_;
  std::shared_ptr<const at_rest::cipher> cipher_;
  bool accept_plain_ = false;
  // A write failed for a full disk: RocksDB stopped writing until Resume.
  bool stopped_ = false;

  // Caches of durable state, updated after each successful write.
  snapshot_point snap_;
  uint64_t last_index_ = 0;
  pb::HardState hard_state_;
};

} // namespace actorswarm::persistence
