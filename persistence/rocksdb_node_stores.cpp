#include "persistence/rocksdb_node_stores.hpp"

#include <memory>

#include <rocksdb/write_batch.h>

#include "persistence/rocksdb_util.hpp"

namespace actorswarm::persistence {

namespace {

// A synced write; a database that a full disk stopped (the raft log store
// found it full) is resumed once first, so these writes go on once there is
// space again. Still full, or any other failure: fail-stop as before.
void write_synced(rocksdb::DB& db, rocksdb::WriteBatch& batch,
                  const char* what) {
  auto st = db.Write(write_options(true), &batch);
  if (is_no_space(st) && resume(db).ok())
    st = db.Write(write_options(true), &batch);
  must_succeed(st, what);
}

} // namespace

rocksdb_task_record_store::rocksdb_task_record_store(
  rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf)
  : db_(db), cf_(cf) {
  // nop
}

void rocksdb_task_record_store::put(const std::vector<record>& xs) {
  rocksdb::WriteBatch batch;
  for (const auto& [id, value] : xs)
    must_succeed(batch.Put(cf_, id, value), "task record batch");
  write_synced(*db_, batch, "task record put");
}

void rocksdb_task_record_store::remove(const std::vector<std::string>& ids) {
  rocksdb::WriteBatch batch;
  for (const auto& id : ids)
    must_succeed(batch.Delete(cf_, id), "task record batch");
  write_synced(*db_, batch, "task record remove");
}

std::vector<task_record_store::record>
rocksdb_task_record_store::load_all() const {
  std::vector<record> xs;
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, cf_)};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    xs.emplace_back(it->key().ToString(), it->value().ToString());
  must_succeed(it->status(), "task record scan");
  return xs;
}

void rocksdb_task_record_store::clear() {
  std::vector<std::string> ids;
  for (auto& x : load_all())
    ids.push_back(std::move(x.first));
  remove(ids);
}

rocksdb_kv_store::rocksdb_kv_store(rocksdb::DB* db,
                                   rocksdb::ColumnFamilyHandle* cf)
  : db_(db), cf_(cf) {
  // nop
}

std::optional<std::string> rocksdb_kv_store::get(const std::string& key) const {
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{}, cf_, key, &value);
  if (st.IsNotFound())
    return std::nullopt;
  must_succeed(st, "node state read");
  return value;
}

void rocksdb_kv_store::put(const std::string& key, const std::string& value) {
  rocksdb::WriteBatch batch;
  must_succeed(batch.Put(cf_, key, value), "node state batch");
  write_synced(*db_, batch, "node state put");
}

void rocksdb_kv_store::remove(const std::string& key) {
  rocksdb::WriteBatch batch;
  must_succeed(batch.Delete(cf_, key), "node state batch");
  write_synced(*db_, batch, "node state remove");
}

} // namespace actorswarm::persistence
