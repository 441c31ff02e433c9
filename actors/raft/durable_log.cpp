#include "actors/raft/durable_log.hpp"

#include "actors/raft/conf_change.hpp"
#include "messages/assert.hpp"
#include "messages/log.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::raft {

durable_log::durable_log(persistence::log_store& log,
                         persistence::snapshot_store* snaps,
                         std::optional<pb::SnapshotMetadata> latest)
  : log_(log), snaps_(snaps) {
  if (latest)
    latest_ = std::move(*latest);
  // The state machine never runs ahead of the log's compaction point.
  AS_ASSERT(latest_.index() + 1 >= log_.first_index() || latest_.index() == 0);
}

pb::HardState durable_log::hard_state() const {
  return log_.hard_state();
}

pb::ConfState durable_log::conf_state() const {
  // The log may start before the snapshot (compaction keeps a tail); the
  // core re-applies the conf changes in that tail on top of this, which is
  // harmless: each change sets one member's presence, so replaying a suffix
  // of them on a state that already reflects them changes nothing.
  if (latest_.conf_state().voters_size() == 0)
    return default_conf_;
  return latest_.conf_state();
}

uint64_t durable_log::first_index() const {
  return log_.first_index();
}

uint64_t durable_log::last_index() const {
  return log_.last_index();
}

result<uint64_t> durable_log::term(uint64_t i) const {
  return log_.term(i);
}

result<std::vector<pb::Entry>> durable_log::entries(uint64_t lo, uint64_t hi,
                                                    uint64_t max_bytes) const {
  return log_.entries(lo, hi, max_bytes);
}

result<pb::Snapshot> durable_log::snapshot() const {
  if (snaps_ == nullptr)
    return fail(log_unavailable, "no snapshot store");
  auto x = snaps_->load_latest();
  if (!x)
    return fail(log_unavailable, x.error().message);
  if (!*x)
    return fail(log_unavailable, "no snapshot yet");
  return std::move(**x);
}

bool durable_log::empty() const {
  return log_.last_index() == 0 && latest_.index() == 0;
}

void durable_log::bootstrap(const std::vector<pb::Member>& members) {
  AS_ASSERT(empty());
  persistence::log_write w;
  w.entries = bootstrap_entries(members);
  w.hard_state = bootstrap_hard_state(members.size());
  w.sync = true;
  log_.save(w);
}

status durable_log::persist(const ready& rd) {
  if (rd.snapshot) {
    const auto& meta = rd.snapshot->metadata();
    AS_ASSERT(snaps_ != nullptr);
    auto ok = snaps_->save(meta, rd.snapshot->data());
    if (!ok && ok.error().code == errc::no_space)
      return ok.error(); // not stored: the leader sends it again
    if (!ok)
      AS_FAIL_STOP("cannot store the leader's snapshot: " + ok.error().message);
    // A stale compaction point (log_compacted) leaves the log as it is.
    auto compacted = log_.compact_prefix(meta.index(), meta.term());
    if (!compacted && compacted.error().code == errc::no_space)
      return compacted.error();
    latest_ = meta;
  }
  if (!rd.hard_state && rd.entries.empty())
    return ok_status();
  persistence::log_write w;
  w.hard_state = rd.hard_state;
  w.entries = rd.entries;
  w.sync = rd.must_sync;
  return log_.try_save(w);
}

bool durable_log::save_snapshot(const pb::Snapshot& s) {
  AS_ASSERT(snaps_ != nullptr);
  auto ok = snaps_->save(s.metadata(), s.data());
  if (!ok) {
    logger("raft")->warn("snapshot not written index={} error={}",
                         s.metadata().index(), ok.error().message);
    return false;
  }
  auto previous = latest_.index();
  latest_ = s.metadata();
  if (previous > log_.snapshot().index) {
    auto t = log_.term(previous);
    AS_ASSERT(t.ok());
    static_cast<void>(log_.compact_prefix(previous, *t));
  }
  return true;
}

} // namespace actorswarm::raft
