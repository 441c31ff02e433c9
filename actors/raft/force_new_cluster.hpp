#pragma once

#include <cstdint>
#include <string>

#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::persistence {
class log_store;
class snapshot_store;
} // namespace actorswarm::persistence

namespace actorswarm::raft {

/// What force_new_cluster did.
struct forced_cluster {
  /// The old group's commit index: every entry up to it is kept.
  uint64_t kept_commit = 0;
  /// The new hard state's commit: the last entry written (the membership
  /// changes that leave `me` alone, or one empty entry).
  uint64_t commit = 0;
  /// The new hard state's term (higher than any term seen).
  uint64_t term = 0;
  /// Uncommitted entries of the old group after kept_commit, dropped.
  uint64_t dropped_entries = 0;
  /// Voters other than `me` removed by the written membership changes.
  uint64_t removed_voters = 0;
};

/// `swarm init --force-new-cluster` (SwarmKit's ForceNewCluster, done the
/// way etcd's --force-new-cluster does it): rewrites the durable Raft state
/// in `log` and `snaps` so that the next raft_core built on them (through
/// durable_log) ends up alone in its group as `me`, keeping every committed
/// entry. The caller stops the store and raft actors first: nothing else may
/// touch the stores while this runs.
///
/// Steps: reconcile_at_startup (the log made consistent with the newest
/// snapshot); then ONE synced, atomic log write that (a) drops the entries
/// after the commit index c = max(hard state commit, `applied`) (uncommitted
/// in the old group), (b) appends at c+1.. one REMOVE_NODE per voter other
/// than `me` as of c (and an ADD_NODE of `me` if it is not a voter as `me`
/// yet), or one empty entry when there is nothing to change, all at term T
/// = highest term seen + 1, and (c) sets the hard state {T, vote 0, commit:
/// the last of them}. At the next start the state machine restores its
/// newest snapshot and applies the committed entries after it, the old
/// group's up to c and then the membership changes; conf changes among the
/// kept entries apply in order before them, so the end state is `me` alone
/// whatever they re-added.
///
/// Crash safety: every write is synced and atomic, and each intermediate
/// state starts as the old node (the reconcile only completes an earlier
/// snapshot install); a repeated call completes the job. A repeat after
/// success writes one empty entry and bumps the term again.
///
/// `applied` is the store actor's applied index (a lower bound of what is
/// committed); `state` is its serialized StoreSnapshot at `applied`, used
/// only by the old behaviour (`bugs::unsafe_force_new_cluster`: snapshot at
/// `applied` with `me` alone, log cleared and compacted to it in separate
/// writes, committed entries after `applied` lost).
///
/// Fails, changing nothing, with errc::invalid_spec if me.raft_id() is 0,
/// errc::bad_request if `applied` is 0, beyond the log or below its
/// compaction point, errc::internal if a snapshot cannot be read or
/// written, and errc::data_corrupt if the log and snapshots do not fit
/// (reconcile_at_startup). A failed log write is fail-stop (log_store).
result<forced_cluster> force_new_cluster(persistence::log_store& log,
                                         persistence::snapshot_store& snaps,
                                         const std::string& state,
                                         uint64_t applied,
                                         const pb::Member& me);

} // namespace actorswarm::raft
