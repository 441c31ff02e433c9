#include "actors/raft/startup_reconcile.hpp"

#include <algorithm>
#include <string>

#include "actors/raft/bug_switches.hpp"
#include "messages/assert.hpp"
#include "messages/log.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::raft {

namespace {

using std::to_string;

failure corrupt(std::string what) {
  return fail(errc::data_corrupt, std::move(what));
}

// Refusals that need no write: the snapshots do not cover the log.
status check_coverage(const persistence::log_store& log,
                      const std::optional<pb::SnapshotMetadata>& latest) {
  auto point = log.snapshot();
  if (point.index == 0)
    return ok_status(); // never compacted: the log alone is complete
  if (!latest)
    return corrupt("the raft log is compacted to index "
                   + to_string(point.index)
                   + " but there is no snapshot (the snapshot files are "
                     "missing)");
  if (latest->index() < point.index)
    return corrupt("the raft log is compacted to index "
                   + to_string(point.index)
                   + " but the newest readable snapshot is at index "
                   + to_string(latest->index()));
  if (latest->index() == point.index && latest->term() != point.term)
    return corrupt("the snapshot at index " + to_string(point.index)
                   + " has term " + to_string(latest->term())
                   + " but the raft log's compaction point has term "
                   + to_string(point.term));
  return ok_status();
}

// A committed entry at the snapshot's index with another term: one of the
// two is not what the group committed.
status check_committed(const persistence::log_store& log,
                       const pb::SnapshotMetadata& snap) {
  auto t = log.term(snap.index());
  if (!t || *t == snap.term() || log.hard_state().commit() < snap.index())
    return ok_status();
  return corrupt("the raft log's committed entry at index "
                 + to_string(snap.index()) + " has term " + to_string(*t)
                 + " but the snapshot there has term "
                 + to_string(snap.term()));
}

} // namespace

result<reconcile_report>
reconcile_at_startup(persistence::log_store& log,
                     const std::optional<pb::SnapshotMetadata>& latest) {
  if (auto ok = check_coverage(log, latest); !ok)
    return ok.error();
  reconcile_report out;
  if (latest && !bugs::skip_startup_reconcile) {
    const auto& snap = *latest;
    out.snapshot_index = snap.index();
    auto t = log.term(snap.index());
    bool covered = t && *t == snap.term();
    if (!covered && snap.index() > log.snapshot().index) {
      if (auto ok = check_committed(log, snap); !ok)
        return ok.error();
      // One synced write: every entry goes (none agrees with the snapshot
      // at its index), the compaction point moves to the snapshot.
      auto ok = log.compact_prefix(snap.index(), snap.term());
      AS_ASSERT(ok.ok());
      out.action = reconcile_action::replaced;
    }
    auto hs = log.hard_state();
    if (hs.term() < snap.term()) {
      // Our term never reached the snapshot's: no vote was cast in it (a
      // vote is durable before it is sent), so none is lost.
      hs.set_term(snap.term());
      hs.set_vote(0);
      hs.set_commit(std::max(hs.commit(), snap.index()));
      persistence::log_write w;
      w.hard_state = hs;
      w.sync = true;
      log.save(w);
      out.raised_term = true;
    }
  }
  out.first_index = log.first_index();
  out.last_index = log.last_index();
  if (out.action != reconcile_action::none || out.raised_term)
    logger("raft")->warn("start-up reconcile: the raft log did not cover "
                         "snapshot index={} (a crash while installing it): "
                         "{}, first={} last={} raised_term={}",
                         out.snapshot_index,
                         out.action == reconcile_action::replaced
                           ? "its disagreeing entries dropped"
                           : "log kept",
                         out.first_index, out.last_index, out.raised_term);
  return out;
}

result<reconcile_report>
reconcile_at_startup(persistence::log_store& log,
                     persistence::snapshot_store& snaps) {
  auto latest = snaps.load_latest();
  if (!latest)
    return corrupt("cannot read a snapshot: " + latest.error().message);
  std::optional<pb::SnapshotMetadata> meta;
  if (*latest)
    meta = (**latest).metadata();
  return reconcile_at_startup(log, meta);
}

} // namespace actorswarm::raft
