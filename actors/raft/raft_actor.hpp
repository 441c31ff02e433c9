#pragma once

// The raft peer actor (STYLE.md R1): drives one raft_core and does its IO.
// It owns the core and the durable log adapter over the data dir's log and
// snapshot stores, and loops in etcd's Ready order: persist (synced) ->
// send -> apply (a request to the state machine, awaited) -> advance. Ticks
// are delayed messages to itself, `tick_ms` apart. Every
// `snapshot_interval` applied entries it asks the state machine for its
// serialized state, publishes a snapshot and compacts the log.
//
// Receives: raft_actor_type (actors/raft/raft_interface.hpp): proposals,
//             conf changes, ReadIndex reads and leadership transfers from
//             the state machine; RaftMessages and peer-down notices from
//             the transport; its own ticks and Ready turns.
// Sends:    to the state machine (raft_state_machine_actor_type) the
//             committed entries to apply, awaited, and leader changes; to
//             the network (raft_network_actor_type) RaftMessages and the
//             members' addresses.
// Fails:    IO errors are fail-stop inside the stores; if the state machine
//           dies the raft peer dies with it (linked).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "caf/fwd.hpp"

#include "actors/raft/raft_config.hpp"
#include "actors/raft/raft_interface.hpp"
#include "actors/raft/raft_outbox.hpp"
#include "messages/defaults.hpp"
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
  uint64_t tick_ms = cluster_defaults::raft_tick_ms;
  /// Applied entries between snapshots (SwarmKit's snapshot-interval).
  uint64_t snapshot_interval = cluster_defaults::snapshot_interval_entries;
  /// Seed of the election jitter.
  uint64_t seed = 0;
  /// Random per spawn in the daemon (the node's process epoch): part of
  /// every ReadIndex request id, so a leader's answer meant for an earlier
  /// run of this peer never matches a read of this one. 0 (tests and
  /// simulations): a number unique within the process instead.
  uint64_t incarnation = 0;
  /// Where Raft messages leave without the transport actor's mailbox when
  /// it can (actors/raft/raft_outbox.hpp); null: always the transport.
  std::shared_ptr<raft_outbox> outbox;
  /// If non-empty and the log is empty: bootstrap a new group with these
  /// voters (swarm init: only this node).
  std::vector<pb::Member> bootstrap;
};

/// Spawns the raft peer, linked to `state_machine`. `log` and `snaps` must
/// outlive the actor; `snaps` may be null (no snapshots). `latest` is the
/// metadata of the snapshot the state machine restored, if any.
raft_actor_type spawn_raft(caf::actor_system& sys,
                           const raft_state_machine_actor_type& state_machine,
                           persistence::log_store& log,
                           persistence::snapshot_store* snaps,
                           std::optional<pb::SnapshotMetadata> latest,
                           raft_actor_config cfg);

} // namespace actorswarm::raft
