#pragma once

// The raft peer actor (STYLE.md R1): drives one raft_core and does its IO.
// It owns the core and the durable log adapter over the data dir's log and
// snapshot stores, and loops in etcd's Ready order: persist (synced) ->
// send -> apply (a request to the state machine, awaited) -> advance. Ticks
// are delayed messages to itself, `tick_ms` apart. Every
// `snapshot_interval` applied entries it asks the state machine for its
// serialized state, publishes a snapshot and compacts the log.
//
// Receives: (propose_atom, string data) -> (uint64_t index, uint64_t term)
//             | error (not_leader, refused), from the state machine;
//           (raft_msg_atom, RaftMessage) from the transport;
//           (peer_down_atom, uint64_t raft_id) from the transport;
//           (peers_atom, actor transport): where to send RaftMessages;
//           (status_atom) -> raft_status_ptr.
// Sends:    (apply_atom, apply_batch_ptr) -> (uint64_t applied, string
//             state) to the state machine; (leader_atom, raft_status_ptr)
//             to it whenever leader or role changes; (raft_msg_atom,
//             RaftMessage) to the transport.
// Fails:    IO errors are fail-stop inside the stores; if the state machine
//           dies the raft peer dies with it (linked).

#include <cstdint>
#include <optional>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/raft/raft_config.hpp"
#include "messages/raft.pb.h"

namespace actorswarm::persistence {
class log_store;
class snapshot_store;
} // namespace actorswarm::persistence

namespace actorswarm::raft {

/// Tunables of the raft peer actor.
struct raft_actor_config {
  /// The core's config; `core.applied` is the state machine's applied index.
  raft_config core;
  /// Length of one tick in milliseconds (daemon flag --tick-ms).
  uint64_t tick_ms = 100;
  /// Applied entries between snapshots (SwarmKit's snapshot-interval).
  uint64_t snapshot_interval = 10000;
  /// Seed of the election jitter.
  uint64_t seed = 0;
  /// If non-empty and the log is empty: bootstrap a new group with these
  /// voters (swarm init: only this node).
  std::vector<pb::Member> bootstrap;
};

/// Spawns the raft peer, linked to `state_machine`. `log` and `snaps` must
/// outlive the actor; `snaps` may be null (no snapshots). `latest` is the
/// metadata of the snapshot the state machine restored, if any.
caf::actor spawn_raft(caf::actor_system& sys, const caf::actor& state_machine,
                      persistence::log_store& log,
                      persistence::snapshot_store* snaps,
                      std::optional<pb::SnapshotMetadata> latest,
                      raft_actor_config cfg);

} // namespace actorswarm::raft
