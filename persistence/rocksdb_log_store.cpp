#include "persistence/rocksdb_log_store.hpp"

#include <string>

#include <rocksdb/write_batch.h>

#include "persistence/log_checks.hpp"
#include "persistence/rocksdb_util.hpp"

namespace actorswarm::persistence {

namespace {

constexpr const char* hard_state_key = "hard_state";
constexpr const char* snapshot_key = "snapshot";

failure corrupt(const std::string& what) {
  return fail(errc::internal, what);
}

} // namespace

rocksdb_log_store::rocksdb_log_store(rocksdb::DB* db,
                                     rocksdb::ColumnFamilyHandle* log_cf,
                                     rocksdb::ColumnFamilyHandle* state_cf)
  : db_(db), log_cf_(log_cf), state_cf_(state_cf) {
  // nop
}

result<std::unique_ptr<rocksdb_log_store>>
rocksdb_log_store::load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log_cf,
                        rocksdb::ColumnFamilyHandle* state_cf) {
  std::unique_ptr<rocksdb_log_store> self{
    new rocksdb_log_store(db, log_cf, state_cf)};
  std::string buf;
  auto st = db->Get(rocksdb::ReadOptions{}, state_cf, snapshot_key, &buf);
  if (st.ok()) {
    pb::SnapshotMetadata meta;
    if (!meta.ParseFromString(buf))
      return corrupt("raft log compaction point does not parse");
    self->snap_ = snapshot_point{meta.index(), meta.term()};
  } else if (!st.IsNotFound()) {
    return corrupt("cannot read raft log compaction point: " + st.ToString());
  }
  st = db->Get(rocksdb::ReadOptions{}, state_cf, hard_state_key, &buf);
  if (st.ok()) {
    if (!self->hard_state_.ParseFromString(buf))
      return corrupt("raft hard state does not parse");
  } else if (!st.IsNotFound()) {
    return corrupt("cannot read raft hard state: " + st.ToString());
  }
  std::unique_ptr<rocksdb::Iterator> it{
    db->NewIterator(rocksdb::ReadOptions{}, log_cf)};
  self->last_index_ = self->snap_.index;
  it->SeekToFirst();
  if (it->Valid()) {
    // Compaction deletes the prefix and moves the point in one batch, so the
    // first entry sits right after it.
    if (decode_index_key(it->key()) != self->snap_.index + 1)
      return corrupt("raft log starts at "
                     + std::to_string(decode_index_key(it->key()))
                     + ", expected " + std::to_string(self->snap_.index + 1));
    it->SeekToLast();
    self->last_index_ = decode_index_key(it->key());
  }
  if (!it->status().ok())
    return corrupt("cannot scan raft log: " + it->status().ToString());
  return self;
}

uint64_t rocksdb_log_store::first_index() const {
  return snap_.index + 1;
}

uint64_t rocksdb_log_store::last_index() const {
  return last_index_;
}

result<uint64_t> rocksdb_log_store::term(uint64_t i) const {
  if (i == snap_.index)
    return snap_.term;
  if (i < snap_.index)
    return compacted_failure(i, first_index());
  if (i > last_index_)
    return unavailable_failure(i, last_index_);
  return read_entry(i).term();
}

result<std::vector<pb::Entry>>
rocksdb_log_store::entries(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  if (lo < first_index())
    return compacted_failure(lo, first_index());
  if (hi > last_index_ + 1)
    return unavailable_failure(hi - 1, last_index_);
  std::vector<pb::Entry> xs;
  if (lo >= hi)
    return xs;
  auto upper = index_key(hi);
  rocksdb::Slice upper_slice{upper};
  rocksdb::ReadOptions opts;
  opts.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(opts, log_cf_)};
  uint64_t total_bytes = 0;
  uint64_t expected = lo;
  for (it->Seek(index_key(lo)); it->Valid() && expected < hi; it->Next()) {
    if (decode_index_key(it->key()) != expected)
      AS_FAIL_STOP("raft log has a hole at index " + std::to_string(expected));
    pb::Entry e;
    if (!e.ParseFromArray(it->value().data(),
                          static_cast<int>(it->value().size())))
      AS_FAIL_STOP("raft log entry " + std::to_string(expected)
                   + " does not parse");
    total_bytes += e.ByteSizeLong();
    // etcd: return at least one entry even if it alone exceeds the limit.
    if (!xs.empty() && total_bytes > max_bytes)
      break;
    xs.push_back(std::move(e));
    ++expected;
  }
  must_succeed(it->status(), "raft log scan");
  if (xs.empty())
    AS_FAIL_STOP("raft log entry " + std::to_string(lo) + " is missing");
  return xs;
}

pb::HardState rocksdb_log_store::hard_state() const {
  return hard_state_;
}

snapshot_point rocksdb_log_store::snapshot() const {
  return snap_;
}

void rocksdb_log_store::save(const log_write& x) {
  auto skip = check_log_write(x, first_index(), last_index_);
  rocksdb::WriteBatch batch;
  if (x.hard_state)
    must_succeed(batch.Put(state_cf_, hard_state_key,
                           x.hard_state->SerializeAsString()),
                 "raft log batch");
  uint64_t new_last = last_index_;
  if (skip < x.entries.size()) {
    auto from = x.entries[skip].index();
    // Drop the conflicting suffix; the puts below carry later sequence
    // numbers within the batch, so they win over this tombstone.
    if (from <= last_index_)
      must_succeed(batch.DeleteRange(log_cf_, index_key(from),
                                     index_key(last_index_ + 1)),
                   "raft log batch");
    for (size_t i = skip; i < x.entries.size(); ++i) {
      const auto& e = x.entries[i];
      must_succeed(batch.Put(log_cf_, index_key(e.index()),
                             e.SerializeAsString()),
                   "raft log batch");
    }
    new_last = x.entries.back().index();
  }
  must_succeed(db_->Write(write_options(x.sync), &batch), "raft log save");
  if (x.hard_state)
    hard_state_ = *x.hard_state;
  last_index_ = new_last;
}

status rocksdb_log_store::compact_prefix(uint64_t index, uint64_t term) {
  if (index <= snap_.index)
    return compacted_failure(index, first_index());
  bool keep_suffix = index <= last_index_ && read_entry(index).term() == term;
  uint64_t drop_end = keep_suffix ? index + 1 : last_index_ + 1;
  rocksdb::WriteBatch batch;
  if (first_index() < drop_end)
    must_succeed(batch.DeleteRange(log_cf_, index_key(first_index()),
                                   index_key(drop_end)),
                 "raft log batch");
  pb::SnapshotMetadata meta;
  meta.set_index(index);
  meta.set_term(term);
  must_succeed(batch.Put(state_cf_, snapshot_key, meta.SerializeAsString()),
               "raft log batch");
  must_succeed(db_->Write(write_options(true), &batch), "raft log compaction");
  snap_ = snapshot_point{index, term};
  if (!keep_suffix)
    last_index_ = index;
  return ok_status();
}

void rocksdb_log_store::clear() {
  rocksdb::WriteBatch batch;
  if (first_index() <= last_index_)
    must_succeed(batch.DeleteRange(log_cf_, index_key(first_index()),
                                   index_key(last_index_ + 1)),
                 "raft log batch");
  must_succeed(batch.Delete(state_cf_, hard_state_key), "raft log batch");
  must_succeed(batch.Delete(state_cf_, snapshot_key), "raft log batch");
  must_succeed(db_->Write(write_options(true), &batch), "raft log clear");
  snap_ = snapshot_point{};
  last_index_ = 0;
  hard_state_ = pb::HardState{};
}

pb::Entry rocksdb_log_store::read_entry(uint64_t i) const {
  std::string buf;
  auto st = db_->Get(rocksdb::ReadOptions{}, log_cf_, index_key(i), &buf);
  if (st.IsNotFound())
    AS_FAIL_STOP("raft log entry " + std::to_string(i) + " is missing");
  must_succeed(st, "raft log read");
  pb::Entry e;
  if (!e.ParseFromString(buf))
    AS_FAIL_STOP("raft log entry " + std::to_string(i) + " does not parse");
  return e;
}

} // namespace actorswarm::persistence
