#pragma once

// The store actor owns the replicated state machine (object_store) and the
// raft peer that replicates it (actors/raft/raft_actor.hpp), which it spawns
// and links. Every write arrives as a proposal (propose_atom, StoreBatch),
// goes to the raft peer, and is answered once its log entry is committed
// (persisted, synced, by a quorum) and applied here: with the log index, or
// with the error that refused its batch. Proposals that arrive together are
// written in one synced save (group commit, by the raft peer's Ready loop).
// Watchers subscribe and receive every applied change set in log order. On
// start it restores the newest snapshot; the raft peer then hands out the
// committed entries after it. Snapshots and log compaction are the raft
// peer's (every `snapshot_interval` entries). IO errors are fail-stop.
//
// On a follower a proposal goes to the leader's store over the cluster port
// (the transport's PROPOSE request) and is answered once this replica
// applied it too; without a known leader it fails at once.
//
// Receives: store_actor_type (actors/store/store_interface.hpp): proposals,
//             conf changes and linearizable reads; subscriptions (a view,
//             then change sets) and leader watches; from the raft peer the
//             committed entries to apply and leader changes; from the
//             transport proposals that followers forward (PROPOSE).
// Sends:    (events_atom, change_set_ptr) to subscribers
//             (subscriber_actor_type); (leader_atom, raft_status_ptr) to
//             leader watchers; proposals, reads and timing to its raft peer.

#include <cstdint>

#include "caf/fwd.hpp"

#include "actors/raft/raft_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::persistence {
class log_store;
class snapshot_store;
} // namespace actorswarm::persistence

namespace actorswarm::store {

/// Tunables of the store actor.
struct store_config {
  /// Log entries between snapshots (SwarmKit's snapshot-interval).
  uint64_t snapshot_interval = cluster_defaults::snapshot_interval_entries;
  /// Unused since the raft peer batches (kept for aggregate initializers).
  uint64_t batch_proposals_max = 4096;
  /// This manager's raft peer. Defaults: raft id 1, bootstrapping a
  /// one-member group on an empty log (a fresh single-manager swarm).
  raft::raft_actor_config raft = default_raft();

  /// Raft id 1, alone in its group.
  static raft::raft_actor_config default_raft();
};

/// Spawns the store actor (and its raft peer) over `log` and `snaps` (owned
/// by the caller and outliving the actors). `snaps` may be null (no
/// snapshots, tests).
store_actor_type spawn_store(caf::actor_system& sys,
                             persistence::log_store& log,
                             persistence::snapshot_store* snaps,
                             store_config cfg);

} // namespace actorswarm::store
