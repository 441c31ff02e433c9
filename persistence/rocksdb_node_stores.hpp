#pragma once

#include <optional>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "persistence/kv_store.hpp"
#include "persistence/task_record_store.hpp"

namespace actorswarm::persistence {

/// task_record_store in column family `task_records` of a data dir's
/// database. `db` and `cf` must outlive it.
class rocksdb_task_record_store : public task_record_store {
public:
  rocksdb_task_record_store(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);

  void put(const std::vector<record>& xs) override;

  void remove(const std::vector<std::string>& ids) override;

  std::vector<record> load_all() const override;

  void clear() override;

private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
};

/// kv_store in column family `node_state` of a data dir's database. `db` and
/// `cf` must outlive it.
class rocksdb_kv_store : public kv_store {
public:
  rocksdb_kv_store(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);

  std::optional<std::string> get(const std::string& key) const override;

  void put(const std::string& key, const std::string& value) override;

  void remove(const std::string& key) override;

private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
};

} // namespace actorswarm::persistence
