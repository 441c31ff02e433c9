#include "persistence/memory_snapshot_store.hpp"

#include <algorithm>

#include <google/protobuf/message_lite.h>

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

status memory_snapshot_store::save_message(
  const pb::SnapshotMetadata& meta,
  const google::protobuf::MessageLite& state) {
  return save(meta, state.SerializeAsString());
}

result<std::optional<pb::SnapshotMetadata>>
memory_snapshot_store::load_latest_message(
  google::protobuf::MessageLite& state) const {
  state.Clear();
  // Newest first; data that does not parse counts as corrupt, as in files.
  for (const auto& snap : snaps_) {
    if (state.ParseFromString(snap.data()))
      return std::optional<pb::SnapshotMetadata>{snap.metadata()};
    state.Clear();
  }
  if (!snaps_.empty())
    return fail(errc::data_corrupt, "no snapshot parses");
  return std::optional<pb::SnapshotMetadata>{};
}

void memory_snapshot_store::clear() {
  snaps_.clear();
}

} // namespace actorswarm::persistence
