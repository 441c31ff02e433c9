#include "actors/raft/force_new_cluster.hpp"

#include <algorithm>

#include "messages/assert.hpp"
#include "messages/log.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::raft {

namespace {

// Term of the entry at `applied`. The log answers while it holds `applied`
// (or has it as its compaction point); after a crash in the middle of an
// earlier call it may not, and then the snapshot that call published does.
result<uint64_t> term_at(const persistence::log_store& log,
                         const persistence::snapshot_store& snaps,
                         uint64_t applied) {
  if (auto t = log.term(applied); t.ok())
    return *t;
  auto latest = snaps.load_latest();
  if (!latest)
    return latest.error();
  if (!*latest || (**latest).metadata().index() != applied)
    return fail(errc::bad_request,
                "applied index " + std::to_string(applied)
                  + " is neither in the raft log nor the latest snapshot");
  return (**latest).metadata().term();
}

// The highest term this node has seen: its hard state's, or a log entry's if
// the hard state went missing (a crash right after clear() in an earlier
// call).
uint64_t highest_term(const persistence::log_store& log, uint64_t term) {
  auto x = std::max(log.hard_state().term(), term);
  if (auto last = log.term(log.last_index()); last.ok())
    x = std::max(x, *last);
  return x;
}

// Leaves the log with no entries and its compaction point at (applied,
// term), keeping the hard state where the log_store API allows it.
void drop_entries(persistence::log_store& log, uint64_t applied,
                  uint64_t term) {
  auto point = log.snapshot();
  if (log.last_index() == applied && point.index == applied)
    return; // already done (a repeated call, or a compacted follower)
  if (log.last_index() > applied) {
    // log_store drops a suffix only by overwriting it with entries, so the
    // old group's entries after `applied` go with everything else.
    log.clear();
  }
  // No entries after `applied` now: compaction keeps none (when the log
  // ends before `applied`, it drops them all and last_index() moves up).
  auto ok = log.compact_prefix(applied, term);
  AS_ASSERT(ok.ok());
  AS_ASSERT(log.last_index() == applied);
}

} // namespace

result<pb::SnapshotMetadata>
force_new_cluster(persistence::log_store& log,
                  persistence::snapshot_store& snaps, const std::string& state,
                  uint64_t applied, const pb::Member& me) {
  if (me.raft_id() == 0)
    return fail(errc::invalid_spec, "raft id 0 is not a valid member");
  if (applied == 0)
    return fail(errc::bad_request, "no applied state to keep");
  if (log.snapshot().index > applied)
    return fail(errc::bad_request, "the raft log is compacted past applied "
                                   "index "
                                     + std::to_string(applied));
  auto term = term_at(log, snaps, applied);
  if (!term)
    return term.error();
  pb::SnapshotMetadata meta;
  meta.set_index(applied);
  meta.set_term(*term);
  *meta.mutable_conf_state()->add_voters() = me;
  pb::HardState hs;
  // A fresh term: no vote cast in it, and no old leader's term can collide.
  hs.set_term(highest_term(log, *term) + 1);
  hs.set_commit(applied);
  auto dropped = log.last_index() > applied ? log.last_index() - applied : 0;
  // Publish first: until the snapshot is durable the old state stays whole.
  if (auto ok = snaps.save(meta, state); !ok)
    return ok.error();
  drop_entries(log, applied, *term);
  persistence::log_write w;
  w.hard_state = hs;
  w.sync = true;
  log.save(w);
  logger("raft")->warn("forced a new cluster raft_id={} applied={} "
                       "snapshot_term={} term={} dropped_entries={}",
                       me.raft_id(), applied, *term, hs.term(), dropped);
  return meta;
}

} // namespace actorswarm::raft
