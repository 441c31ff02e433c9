#include "actors/raft/force_new_cluster.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "actors/raft/bug_switches.hpp"
#include "actors/raft/conf_change.hpp"
#include "actors/raft/startup_reconcile.hpp"
#include "messages/assert.hpp"
#include "messages/log.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::raft {

namespace {

using std::to_string;

// Entries read at once while looking for conf changes.
constexpr uint64_t scan_chunk_bytes = uint64_t{4} << 20;

// The highest term this node has seen: its hard state's, a log entry's, or
// the snapshot's.
uint64_t highest_term(const persistence::log_store& log, uint64_t term) {
  auto x = std::max(log.hard_state().term(), term);
  if (auto last = log.term(log.last_index()); last.ok())
    x = std::max(x, *last);
  return x;
}

// Membership as of index `upto`: the snapshot's, then every conf change in
// the log up to `upto` (a log that starts before the snapshot replays a few
// changes twice, which changes nothing: each sets one member's presence).
pb::ConfState conf_at(const persistence::log_store& log,
                      const std::optional<pb::SnapshotMetadata>& latest,
                      uint64_t upto) {
  pb::ConfState cs;
  if (latest)
    cs = latest->conf_state();
  // Bounded: every round consumes at least one entry.
  for (auto lo = log.first_index(); lo <= upto;) {
    auto xs = log.entries(lo, upto + 1, scan_chunk_bytes);
    AS_ASSERT(xs.ok() && !xs->empty());
    for (const auto& e : *xs) {
      pb::ConfChange cc;
      if (e.type() == pb::Entry::CONF_CHANGE && cc.ParseFromString(e.data()))
        static_cast<void>(apply_conf_change(cs, cc));
    }
    lo = xs->back().index() + 1;
  }
  return cs;
}

pb::Entry conf_entry(uint64_t index, uint64_t term, pb::ConfChange::Type type,
                     const pb::Member& m) {
  pb::ConfChange cc;
  cc.set_type(type);
  *cc.mutable_member() = m;
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_type(pb::Entry::CONF_CHANGE);
  e.set_data(cc.SerializeAsString());
  return e;
}

// The entries after `commit` that leave `me` the only voter of `cs`: one
// removal per other voter, `me` (re)added if missing or stored with another
// address; one empty entry if nothing changes (it still truncates the
// uncommitted suffix and marks the new term).
std::vector<pb::Entry> leave_alone(const pb::ConfState& cs,
                                   const pb::Member& me, uint64_t commit,
                                   uint64_t term, uint64_t& removed) {
  std::vector<pb::Entry> out;
  auto next = [&] { return commit + out.size() + 1; };
  bool present = false;
  for (const auto& m : cs.voters()) {
    if (m.raft_id() == me.raft_id()) {
      present = m.SerializeAsString() == me.SerializeAsString();
      continue;
    }
    out.push_back(conf_entry(next(), term, pb::ConfChange::REMOVE_NODE, m));
    ++removed;
  }
  if (!present)
    out.push_back(conf_entry(next(), term, pb::ConfChange::ADD_NODE, me));
  if (out.empty()) {
    pb::Entry e;
    e.set_index(next());
    e.set_term(term);
    out.push_back(std::move(e));
  }
  return out;
}

// -- the old order (bugs::unsafe_force_new_cluster) ---------------------------

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
                "applied index " + to_string(applied)
                  + " is neither in the raft log nor the latest snapshot");
  return (**latest).metadata().term();
}

void drop_entries(persistence::log_store& log, uint64_t applied,
                  uint64_t term) {
  auto point = log.snapshot();
  if (log.last_index() == applied && point.index == applied)
    return;
  if (log.last_index() > applied)
    log.clear();
  auto ok = log.compact_prefix(applied, term);
  AS_ASSERT(ok.ok());
}

// Snapshot at `applied` with `me` alone, then the log cleared, compacted and
// the hard state written: three more writes, a crash after clear() leaves
// a state that does not start, and entries committed after `applied` go.
result<forced_cluster> unsafe_force(persistence::log_store& log,
                                    persistence::snapshot_store& snaps,
                                    const std::string& state, uint64_t applied,
                                    const pb::Member& me) {
  auto term = term_at(log, snaps, applied);
  if (!term)
    return term.error();
  pb::SnapshotMetadata meta;
  meta.set_index(applied);
  meta.set_term(*term);
  *meta.mutable_conf_state()->add_voters() = me;
  pb::HardState hs;
  hs.set_term(highest_term(log, *term) + 1);
  hs.set_commit(applied);
  forced_cluster out;
  out.kept_commit = applied;
  out.commit = applied;
  out.term = hs.term();
  out.dropped_entries = log.last_index() > applied ? log.last_index() - applied
                                                   : 0;
  if (auto ok = snaps.save(meta, state); !ok)
    return ok.error();
  drop_entries(log, applied, *term);
  persistence::log_write w;
  w.hard_state = hs;
  w.sync = true;
  log.save(w);
  return out;
}

} // namespace

result<forced_cluster> force_new_cluster(persistence::log_store& log,
                                         persistence::snapshot_store& snaps,
                                         const std::string& state,
                                         uint64_t applied,
                                         const pb::Member& me) {
  if (me.raft_id() == 0)
    return fail(errc::invalid_spec, "raft id 0 is not a valid member");
  if (applied == 0)
    return fail(errc::bad_request, "no applied state to keep");
  if (applied > log.last_index())
    return fail(errc::bad_request, "applied index " + to_string(applied)
                                     + " is beyond the raft log (last index "
                                     + to_string(log.last_index()) + ")");
  if (log.snapshot().index > applied)
    return fail(errc::bad_request, "the raft log is compacted past applied "
                                   "index "
                                     + to_string(applied));
  if (bugs::unsafe_force_new_cluster)
    return unsafe_force(log, snaps, state, applied, me);
  auto loaded = snaps.load_latest();
  if (!loaded)
    return loaded.error();
  std::optional<pb::SnapshotMetadata> latest;
  if (*loaded)
    latest = (**loaded).metadata();
  // A crash during an earlier snapshot install: complete it first.
  if (auto ok = reconcile_at_startup(log, latest); !ok)
    return ok.error();
  forced_cluster out;
  auto hs = log.hard_state();
  out.kept_commit = std::max({hs.commit(), applied, log.snapshot().index});
  if (out.kept_commit > log.last_index())
    return fail(errc::data_corrupt,
                "the raft log's commit index " + to_string(out.kept_commit)
                  + " is beyond its last index " + to_string(log.last_index()));
  out.dropped_entries = log.last_index() - out.kept_commit;
  out.term = highest_term(log, latest ? latest->term() : 0) + 1;
  persistence::log_write w;
  w.entries = leave_alone(conf_at(log, latest, out.kept_commit), me,
                          out.kept_commit, out.term, out.removed_voters);
  out.commit = w.entries.back().index();
  pb::HardState next;
  next.set_term(out.term);
  next.set_commit(out.commit);
  w.hard_state = next;
  w.sync = true;
  // The one write that makes the new group: atomic, so a crash leaves
  // the old node or the new group, nothing in between.
  log.save(w);
  logger("raft")->warn("forced a new cluster raft_id={} kept committed "
                       "entries up to index={} dropped_uncommitted={} "
                       "removed_voters={} term={} commit={}",
                       me.raft_id(), out.kept_commit, out.dropped_entries,
                       out.removed_voters, out.term, out.commit);
  return out;
}

} // namespace actorswarm::raft
