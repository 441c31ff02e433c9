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

/// `swarm init --force-new-cluster` (SwarmKit's ForceNewCluster): rewrites
/// the durable Raft state in `log` and `snaps` so that the next raft_core
/// built on them (through durable_log) is alone in its group as `me`,
/// keeping the state machine.
///
/// `state` is the serialized StoreSnapshot at `applied`, the store actor's
/// applied index (its `applied_index` must equal `applied`). The caller
/// stops the store and raft actors first: nothing else may touch the stores
/// while this runs.
///
/// Writes a snapshot at `applied` whose conf_state holds only `me`, whose
/// term is the term of the entry at `applied` (the log's, or the latest
/// snapshot's when the log no longer holds `applied`); drops every log entry
/// (the log is compacted to `applied`, and entries after it, uncommitted in
/// the old group, are discarded as SwarmKit does); writes the hard state
/// {term: highest term seen + 1, vote: 0, commit: applied}. Afterwards
/// first_index() == applied + 1 and last_index() == applied.
///
/// Returns the metadata of the new snapshot: pass it as `latest` to
/// durable_log / spawn_raft (the store actor's recovery finds the same in
/// `snaps`). Fails, changing nothing, with errc::invalid_spec if
/// me.raft_id() is 0, errc::bad_request if `applied` is 0 or neither the log
/// nor the latest snapshot knows its term, errc::internal if a snapshot
/// cannot be read or written. A failed log write is fail-stop (log_store).
///
/// Crash safety: the snapshot is published (durably) before the log is
/// touched, and each later step is one synced write. A crash leaves either
/// the old state or one from which calling again with the same `state` and
/// `applied` finishes the job. Calling it again after success is harmless:
/// the same result, with the term bumped once more.
result<pb::SnapshotMetadata>
force_new_cluster(persistence::log_store& log,
                  persistence::snapshot_store& snaps, const std::string& state,
                  uint64_t applied, const pb::Member& me);

} // namespace actorswarm::raft
