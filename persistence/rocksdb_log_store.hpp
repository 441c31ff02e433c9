#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <rocksdb/db.h>

#include "persistence/log_store.hpp"

namespace actorswarm::persistence {

/// The Raft log and hard state in a RocksDB database owned by a data_dir:
/// entries in column family `raft_log` under 8-byte big-endian index keys,
/// hard state and compaction point in `raft_state`. Every save is ONE
/// WriteBatch across both families, so a crash keeps all of it or none.
class rocksdb_log_store : public log_store {
public:
  /// Reads the compaction point, hard state and last index. `db` and the
  /// handles must outlive the store. Fails (errc::internal) on corrupt data.
  static result<std::unique_ptr<rocksdb_log_store>>
  load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log_cf,
       rocksdb::ColumnFamilyHandle* state_cf);

  uint64_t first_index() const override;

  uint64_t last_index() const override;

  result<uint64_t> term(uint64_t i) const override;

  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override;

  pb::HardState hard_state() const override;

  snapshot_point snapshot() const override;

  void save(const log_write& x) override;

  status compact_prefix(uint64_t index, uint64_t term) override;

  void clear() override;

private:
  rocksdb_log_store(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log_cf,
                    rocksdb::ColumnFamilyHandle* state_cf);

  /// Reads and parses the entry at `i`; fail-stop if missing or corrupt.
  pb::Entry read_entry(uint64_t i) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* log_cf_;
  rocksdb::ColumnFamilyHandle* state_cf_;

  // Caches of durable state, updated after each successful write.
  snapshot_point snap_;
  uint64_t last_index_ = 0;
  pb::HardState hard_state_;
};

} // namespace actorswarm::persistence
