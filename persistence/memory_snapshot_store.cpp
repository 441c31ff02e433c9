#include "persistence/memory_snapshot_store.hpp"

#include <algorithm>

namespace actorswarm::persistence {

memory_snapshot_store::memory_snapshot_store(size_t keep_old)
  : keep_old_(keep_old) {
  // nop
}

status memory_snapshot_store::save(const pb::SnapshotMetadata& meta,
                                   const std::string& data) {
  pb::Snapshot snap;
  *snap.mutable_metadata() = meta;
  snap.set_data(data);
  // Same order as the files: highest index, then term, first; a snapshot at
  // the same point replaces the old one, as a rename over it would.
  auto same = [&](const pb::Snapshot& x) {
    return x.metadata().index() == meta.index()
           && x.metadata().term() == meta.term();
  };
  snaps_.erase(std::remove_if(snaps_.begin(), snaps_.end(), same),
               snaps_.end());
  snaps_.push_back(std::move(snap));
  std::sort(snaps_.begin(), snaps_.end(), [](const auto& a, const auto& b) {
    const auto& x = a.metadata();
    const auto& y = b.metadata();
    return x.index() != y.index() ? x.index() > y.index() : x.term() > y.term();
  });
  if (snaps_.size() > keep_old_ + 1)
    snaps_.resize(keep_old_ + 1);
  return ok_status();
}

result<std::optional<pb::Snapshot>> memory_snapshot_store::load_latest() const {
  if (snaps_.empty())
    return std::optional<pb::Snapshot>{};
  return std::optional<pb::Snapshot>{snaps_.front()};
}

} // namespace actorswarm::persistence
