#include "sim/sim_disk.hpp"

#include <google/protobuf/message_lite.h>

#include "messages/assert.hpp"

namespace actorswarm::sim {

bool disk_faults::begin_write(const char* what, bool& freeze_after) {
  freeze_after = false;
  if (frozen)
    return false;
  ++writes;
  bool publish = std::string{what} == "snapshot publish";
  bool after_publish = last_was_publish;
  last_was_publish = publish;
  if (writes != crash_at)
    return true;
  if (!crash_after_publish
      && ((publish && mode != crash_mode::before)
          || (after_publish && mode != crash_mode::after))) {
    ++crash_at; // keep out of the window: crash one write later
    return true;
  }
  auto n = std::to_string(writes);
  switch (mode) {
    case crash_mode::before:
      freeze("crash before write #" + n + " (" + what + ")");
      return false;
    case crash_mode::after:
      freeze_after = true;
      return true;
    case crash_mode::fsync_error:
      // Fail-stop: whether the write made it is unknown to everybody.
      if (rng() % 2 == 0) {
        freeze("fsync error at write #" + n + " (" + what
               + "), write lost: fail-stop");
        return false;
      }
      freeze_after = true;
      return true;
  }
  return true;
}

void disk_faults::end_write(const char* what) {
  auto n = std::to_string(writes);
  freeze(std::string{mode == crash_mode::fsync_error ? "fsync error" : "crash"}
         + " after write #" + n + " (" + what + ")");
}

result<std::vector<pb::Entry>>
sim_log_store::entries(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  if (lo < hi && !faults_.frozen && faults_.chance(faults_.corrupt_read))
    AS_FAIL_STOP("sim: corrupt log record in [" + std::to_string(lo) + ", "
                 + std::to_string(hi) + ")");
  return live_.entries(lo, hi, max_bytes);
}

void sim_log_store::save(const persistence::log_write& x) {
  bool after = false;
  if (!faults_.begin_write(x.sync ? "log save, synced" : "log save", after))
    return;
  std::optional<uint64_t> prev_term;
  if (!x.entries.empty()) {
    auto t = live_.term(x.entries.front().index() - 1);
    if (t)
      prev_term = *t;
  }
  live_.save(x);
  if (x.sync) {
    flush_pending();
    durable_.save(x);
  } else {
    pending_.push_back(x);
  }
  if (observer_)
    observer_(x, prev_term);
  if (after)
    faults_.end_write("log save");
}

status sim_log_store::compact_prefix(uint64_t index, uint64_t term) {
  bool after = false;
  if (!faults_.begin_write("log compaction", after))
    return ok_status();
  auto st = live_.compact_prefix(index, term);
  if (st) {
    flush_pending();
    static_cast<void>(durable_.compact_prefix(index, term));
  }
  if (after)
    faults_.end_write("log compaction");
  return st;
}

void sim_log_store::clear() {
  bool after = false;
  if (!faults_.begin_write("log clear", after))
    return;
  live_.clear();
  durable_.clear();
  pending_.clear();
  if (after)
    faults_.end_write("log clear");
}

void sim_log_store::flush_pending() {
  for (const auto& w : pending_)
    durable_.save(w);
  pending_.clear();
}

void sim_log_store::crash() {
  if (faults_.torn_tail && !pending_.empty()) {
    auto keep = faults_.rng() % (pending_.size() + 1);
    for (size_t i = 0; i < keep; ++i)
      durable_.save(pending_[i]);
  }
  pending_.clear();
  live_ = durable_;
  faults_.frozen = false;
  faults_.why.clear();
  faults_.crash_at = 0;
}

void sim_log_store::stop() {
  faults_.frozen = false;
  faults_.why.clear();
  faults_.crash_at = 0;
}

status sim_snapshot_store::save(const pb::SnapshotMetadata& meta,
                                const std::string& data) {
  if (faults_.frozen)
    return fail(errc::internal, "sim: disk frozen (crashed)");
  if (faults_.chance(faults_.snapshot_write_error))
    return fail(errc::internal, "sim: snapshot write failed");
  bool after = false;
  if (!faults_.begin_write("snapshot publish", after))
    return fail(errc::internal, "sim: crashed before the snapshot was "
                                "published");
  auto st = inner_.save(meta, data);
  if (after)
    faults_.end_write("snapshot publish");
  return st;
}

status
sim_snapshot_store::save_message(const pb::SnapshotMetadata& meta,
                                 const google::protobuf::MessageLite& state) {
  return save(meta, state.SerializeAsString());
}

void sim_snapshot_store::clear() {
  bool after = false;
  if (!faults_.begin_write("snapshot clear", after))
    return;
  inner_.clear();
  if (after)
    faults_.end_write("snapshot clear");
}

} // namespace actorswarm::sim
