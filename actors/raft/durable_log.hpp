#pragma once

#include <optional>
#include <vector>

#include "actors/raft/log_reader.hpp"
#include "actors/raft/ready.hpp"

namespace actorswarm::persistence {
class log_store;
class snapshot_store;
} // namespace actorswarm::persistence

namespace actorswarm::raft {

/// The Raft core's view of the durable log (persistence::log_store) and the
/// snapshots (persistence::snapshot_store), plus the writes of the Ready loop
/// (STYLE.md R1, R5): what a `ready` hands out is persisted here before any
/// message leaves. Single-threaded: only the raft peer actor that owns the
/// stores calls it. A failed write is fail-stop inside the stores, but for
/// a full disk (persist).
///
/// Log compaction keeps the log back to the previous snapshot (the store
/// keeps one old snapshot as a fallback, and a follower a little behind gets
/// entries instead of a whole snapshot).
class durable_log : public log_reader {
public:
  /// `log` and `snaps` must outlive this object; `snaps` may be null (no
  /// snapshots: tests). `latest` is the metadata of the snapshot the state
  /// machine was restored from, if any.
  durable_log(persistence::log_store& log, persistence::snapshot_store* snaps,
              std::optional<pb::SnapshotMetadata> latest);

  // -- log_reader ------------------------------------------------------------

  pb::HardState hard_state() const override;
  pb::ConfState conf_state() const override;
  uint64_t first_index() const override;
  uint64_t last_index() const override;
  result<uint64_t> term(uint64_t i) const override;
  result<std::vector<pb::Entry>> entries(uint64_t lo, uint64_t hi,
                                         uint64_t max_bytes) const override;
  result<pb::Snapshot> snapshot() const override;
  uint64_t latest_snapshot_index() const override {
    return latest_.index();
  }

  // -- writes ----------------------------------------------------------------

  /// Whether the log and snapshots are empty (a node that never was in a
  /// Raft group).
  bool empty() const;

  /// Writes bootstrap_entries(members) and their hard state, synced, on an
  /// empty log (AS_ASSERT).
  void bootstrap(const std::vector<pb::Member>& members);

  /// Persists `rd` in etcd's order: the leader's snapshot (published, then
  /// the log compacted to it), then entries and hard state in one write,
  /// synced if rd.must_sync. Fails with errc::no_space on a full disk: then
  /// the entries and hard state of `rd` were not written (a snapshot file
  /// may have been published, the log not compacted to it: the leader sends
  /// the snapshot again), and nothing that depends on them may leave this
  /// peer. Any other failure is fail-stop.
  status persist(const ready& rd);

  /// Publishes a snapshot the owner took at its applied index, then
  /// compacts the log to the previous snapshot. Returns false (and changes
  /// nothing) if the snapshot could not be written; the owner retries later.
  bool save_snapshot(const pb::Snapshot& s);

  /// Membership to assume when no snapshot names one: the bootstrap voters,
  /// so a log written before Raft (the one-host daemon's, term 1, no conf
  /// entries) still has its single voter. Conf entries in the log apply on
  /// top, so a bootstrapped log is unaffected.
  void set_default_conf(pb::ConfState cs) {
    default_conf_ = std::move(cs);
  }

  /// Index of the latest snapshot, 0 if none.
  uint64_t snapshot_index() const {
    return latest_.index();
  }

private:
  persistence::log_store& log_;
  persistence::snapshot_store* snaps_;
  pb::SnapshotMetadata latest_;
  pb::ConfState default_conf_;
};

} // namespace actorswarm::raft
