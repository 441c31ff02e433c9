#pragma once

// The store actor owns the replicated state machine (object_store) and, on a
// single-manager swarm, its durable log: every write arrives as a proposal
// (propose_atom, StoreBatch), is appended to the RocksDB log together with
// all proposals queued behind it (group commit: one synced WriteBatch per
// flush), then applied; only then is each proposer answered, with the log
// index or the error that refused its batch. Watchers subscribe and receive
// every applied change set in log order. On start it restores the newest
// snapshot and replays the log after it; every `snapshot_interval` entries it
// writes a snapshot and compacts the log prefix. A failed sync aborts the
// process (fail-stop), so nothing unacknowledged is ever reported written.
//
// Receives: (propose_atom, StoreBatch) -> uint64_t index | error
//           (subscribe_atom, actor) -> store_view_ptr, then events
//           (view_atom) -> store_view_ptr
// Sends:    (events_atom, change_set_ptr) to subscribers.

#include <cstdint>

#include "caf/fwd.hpp"

namespace actorswarm::persistence {
class log_store;
class snapshot_store;
} // namespace actorswarm::persistence

namespace actorswarm::store {

/// Tunables of the store actor.
struct store_config {
  /// Log entries between snapshots (SwarmKit's snapshot-interval).
  uint64_t snapshot_interval = 10000;
  /// Largest number of proposals one flush writes.
  uint64_t batch_proposals_max = 4096;
};

/// Spawns the store actor over `log` and `snaps` (owned by the caller and
/// outliving the actor). `snaps` may be null (no snapshots, tests).
caf::actor spawn_store(caf::actor_system& sys, persistence::log_store& log,
                       persistence::snapshot_store* snaps, store_config cfg);

} // namespace actorswarm::store
