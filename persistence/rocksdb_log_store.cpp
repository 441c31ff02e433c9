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
  return fail(errc::data_corrupt, what);
}

std::string entry_label(uint64_t i) {
  return "raft-entry/" + std::to_string(i);
}

} // namespace

rocksdb_log_store::rocksdb_log_store(rocksdb::DB* db,
                                     rocksdb::ColumnFamilyHandle* log_cf,
                                     rocksdb::ColumnFamilyHandle* state_cf,
                                     std::shared_ptr<const at_rest::cipher> c)
  : db_(db), log_cf_(log_cf), state_cf_(state_cf), cipher_(std::move(c)) {
  // nop
}

result<std::unique_ptr<rocksdb_log_store>>
rocksdb_log_store::load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log_cf,
                        rocksdb::ColumnFamilyHandle* state_cf,
                        std::shared_ptr<const at_rest::cipher> cipher,
                        bool accept_plain) {
  std::unique_ptr<rocksdb_log_store> self{
    new rocksdb_log_store(db, log_cf, state_cf, std::move(cipher))};
  self->accept_plain_ = accept_plain;
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
  if (it->Valid()) {
    // Without autolock only the last entry is checked (start-up cost as
    // before); it tells a locked log opened without its key.
    auto last = self->decode(self->last_index_, it->value());
    if (!last)
      return last.error();
  }
  // Each save writes hard state and entries in one batch, so a commit
  // index past the last entry means lost or damaged records.
  if (self->hard_state_.commit() > self->last_index_)
    return corrupt("raft hard state commits index "
                   + std::to_string(self->hard_state_.commit())
                   + " but the raft log ends at "
                   + std::to_string(self->last_index_));
  if (self->cipher_)
    if (auto st = self->verify_all(); !st)
      return st.error();
  return self;
}

uint64_t rocksdb_log_store::first_index() const {
  std::lock_guard<std::mutex> guard{mu_};
  return snap_.index + 1;
}

uint64_t rocksdb_log_store::last_index() const {
  std::lock_guard<std::mutex> guard{mu_};
  return last_index_;
}

result<uint64_t> rocksdb_log_store::term(uint64_t i) const {
  std::lock_guard<std::mutex> guard{mu_};
  if (i == snap_.index)
    return snap_.term;
  if (i < snap_.index)
    return compacted_failure(i, first_unlocked());
  if (i > last_index_)
    return unavailable_failure(i, last_index_);
  return read_entry(i).term();
}

result<std::vector<pb::Entry>>
rocksdb_log_store::entries(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  std::lock_guard<std::mutex> guard{mu_};
  if (lo < first_unlocked())
    return compacted_failure(lo, first_unlocked());
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
    auto e = decode(expected, it->value());
    if (!e)
      AS_FAIL_STOP(e.error().message);
    total_bytes += e->ByteSizeLong();
    // etcd: return at least one entry even if it alone exceeds the limit.
    if (!xs.empty() && total_bytes > max_bytes)
      break;
    xs.push_back(std::move(*e));
    ++expected;
  }
  must_succeed(it->status(), "raft log scan");
  if (xs.empty())
    AS_FAIL_STOP("raft log entry " + std::to_string(lo) + " is missing");
  return xs;
}

pb::HardState rocksdb_log_store::hard_state() const {
  std::lock_guard<std::mutex> guard{mu_};
  return hard_state_;
}

snapshot_point rocksdb_log_store::snapshot() const {
  std::lock_guard<std::mutex> guard{mu_};
  return snap_;
}

void rocksdb_log_store::save(const log_write& x) {
  if (auto ok = try_save(x); !ok)
    AS_FAIL_STOP("raft log save failed: " + ok.error().message);
}

status rocksdb_log_store::write(rocksdb::WriteBatch& batch, bool sync,
                                const char* what) {
  if (stopped_) {
    if (auto st = resume(*db_); !st.ok())
      return no_space_failure(*db_);
    stopped_ = false;
  }
  auto st = db_->Write(write_options(sync), &batch);
  if (is_no_space(st)) {
    stopped_ = true;
    return no_space_failure(*db_);
  }
  must_succeed(st, what);
  return ok_status();
}

status rocksdb_log_store::try_save(const log_write& x) {
  std::lock_guard<std::mutex> guard{mu_};
  auto skip = check_log_write(x, first_unlocked(), last_index_);
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
      must_succeed(batch.Put(log_cf_, index_key(e.index()), encode(e)),
                   "raft log batch");
    }
    new_last = x.entries.back().index();
  }
  if (auto ok = write(batch, x.sync, "raft log save"); !ok)
    return ok;
  if (x.hard_state)
    hard_state_ = *x.hard_state;
  last_index_ = new_last;
  return ok_status();
}

status rocksdb_log_store::compact_prefix(uint64_t index, uint64_t term) {
  std::lock_guard<std::mutex> guard{mu_};
  if (index <= snap_.index)
    return compacted_failure(index, first_unlocked());
  bool keep_suffix = index <= last_index_ && read_entry(index).term() == term;
  uint64_t drop_end = keep_suffix ? index + 1 : last_index_ + 1;
  rocksdb::WriteBatch batch;
  if (first_unlocked() < drop_end)
    must_succeed(batch.DeleteRange(log_cf_, index_key(first_unlocked()),
                                   index_key(drop_end)),
                 "raft log batch");
  pb::SnapshotMetadata meta;
  meta.set_index(index);
  meta.set_term(term);
  must_succeed(batch.Put(state_cf_, snapshot_key, meta.SerializeAsString()),
               "raft log batch");
  if (auto ok = write(batch, true, "raft log compaction"); !ok)
    return ok;
  snap_ = snapshot_point{index, term};
  if (!keep_suffix)
    last_index_ = index;
  return ok_status();
}

void rocksdb_log_store::clear() {
  std::lock_guard<std::mutex> guard{mu_};
  rocksdb::WriteBatch batch;
  if (first_unlocked() <= last_index_)
    must_succeed(batch.DeleteRange(log_cf_, index_key(first_unlocked()),
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
  auto e = decode(i, buf);
  if (!e)
    AS_FAIL_STOP(e.error().message);
  return std::move(*e);
}

std::string rocksdb_log_store::encode(const pb::Entry& e) const {
  auto plain = e.SerializeAsString();
  return cipher_ ? cipher_->seal(plain, entry_label(e.index())) : plain;
}

result<pb::Entry> rocksdb_log_store::decode(uint64_t i,
                                            const rocksdb::Slice& value) const {
  std::string_view bytes{value.data(), value.size()};
  auto what = "raft log entry " + std::to_string(i);
  std::string plain;
  if (cipher_ && !(accept_plain_ && !at_rest::is_sealed(bytes))) {
    if (!at_rest::is_sealed(bytes))
      return corrupt(what + " is not encrypted although autolock is on: "
                     + at_rest::open_refusal);
    auto opened = cipher_->open(bytes, entry_label(i));
    if (!opened)
      return corrupt(what + ": " + at_rest::open_refusal);
    plain = std::move(*opened);
    bytes = plain;
  } else if (at_rest::is_sealed(bytes)) {
    return corrupt(what
                   + " is encrypted (autolock) and no unlock key was "
                     "given");
  }
  pb::Entry e;
  if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return corrupt(what + " does not parse");
  if (e.index() != i)
    return corrupt(what + " holds index " + std::to_string(e.index()));
  return e;
}

status rocksdb_log_store::verify_all() const {
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, log_cf_)};
  // Bounded by the entries stored.
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto e = decode(decode_index_key(it->key()), it->value());
    if (!e)
      return e.error();
  }
  if (!it->status().ok())
    return corrupt("cannot scan raft log: " + it->status().ToString());
  return ok_status();
}

void rocksdb_log_store::reseal(std::shared_ptr<const at_rest::cipher> next) {
  std::lock_guard<std::mutex> guard{mu_};
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it{
    db_->NewIterator(rocksdb::ReadOptions{}, log_cf_)};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto i = decode_index_key(it->key());
    auto e = decode(i, it->value());
    if (!e)
      AS_FAIL_STOP(e.error().message);
    auto plain = e->SerializeAsString();
    must_succeed(batch.Put(log_cf_, it->key(),
                           next ? next->seal(plain, entry_label(i)) : plain),
                 "raft log batch");
  }
  must_succeed(it->status(), "raft log scan");
  must_succeed(db_->Write(write_options(true), &batch), "raft log reseal");
  cipher_ = std::move(next);
  accept_plain_ = false;
}

} // namespace actorswarm::persistence
