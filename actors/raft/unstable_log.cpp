#include "actors/raft/unstable_log.hpp"

#include "messages/assert.hpp"

namespace actorswarm::raft {

std::optional<uint64_t> unstable_log::maybe_first_index() const {
  if (snapshot_)
    return snapshot_->metadata().index() + 1;
  return std::nullopt;
}

std::optional<uint64_t> unstable_log::maybe_last_index() const {
  if (!entries_.empty())
    return offset_ + entries_.size() - 1;
  if (snapshot_)
    return snapshot_->metadata().index();
  return std::nullopt;
}

std::optional<uint64_t> unstable_log::maybe_term(uint64_t i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata().index() == i)
      return snapshot_->metadata().term();
    return std::nullopt;
  }
  auto last = maybe_last_index();
  if (!last || i > *last)
    return std::nullopt;
  if (entries_.empty())
    return std::nullopt;
  return entries_[i - offset_].term();
}

void unstable_log::stable_to(uint64_t i, uint64_t t) {
  auto gt = maybe_term(i);
  if (!gt)
    return;
  // Only drop entries that are still the ones the owner persisted: a new
  // leader may have replaced them since ready() handed them out (etcd).
  if (*gt == t && i >= offset_) {
    entries_.erase(entries_.begin(), entries_.begin() + (i + 1 - offset_));
    offset_ = i + 1;
  }
}

void unstable_log::stable_snap_to(uint64_t i) {
  if (snapshot_ && snapshot_->metadata().index() == i)
    snapshot_.reset();
}

void unstable_log::restore(const pb::Snapshot& s) {
  offset_ = s.metadata().index() + 1;
  entries_.clear();
  snapshot_ = s;
}

void unstable_log::truncate_and_append(const std::vector<pb::Entry>& xs) {
  if (xs.empty())
    return;
  auto after = xs.front().index();
  if (after == offset_ + entries_.size()) {
    entries_.insert(entries_.end(), xs.begin(), xs.end());
  } else if (after <= offset_) {
    // The log is being truncated to before our unstable part.
    offset_ = after;
    entries_ = xs;
  } else {
    entries_.resize(after - offset_);
    entries_.insert(entries_.end(), xs.begin(), xs.end());
  }
}

std::vector<pb::Entry> unstable_log::slice(uint64_t lo, uint64_t hi) const {
  AS_ASSERT(lo <= hi);
  AS_ASSERT(lo >= offset_);
  AS_ASSERT(hi <= offset_ + entries_.size());
  return {entries_.begin() + (lo - offset_), entries_.begin() + (hi - offset_)};
}

} // namespace actorswarm::raft
