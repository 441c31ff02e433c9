#pragma once

#include <cstdint>

#include "messages/defaults.hpp"
#include "messages/result.hpp"

namespace actorswarm::raft {

/// Configuration of one Raft peer (after etcd-io/raft `Config`). All times
/// count ticks; the owner decides how long a tick is (default 100 ms).
struct raft_config {
  /// This peer's raft id; never 0.
  uint64_t id = 0;
  /// Followers start an election after a randomised timeout in
  /// [election_tick, 2 * election_tick) ticks without hearing from a leader.
  uint64_t election_tick = cluster_defaults::election_ticks;
  /// The leader sends heartbeats every heartbeat_tick ticks.
  uint64_t heartbeat_tick = cluster_defaults::heartbeat_ticks;
  /// Index of the last entry the owner's state machine has applied (on
  /// restart: at least its snapshot's index); committed entries after it
  /// are handed out again. 0 means first_index() - 1 of the log.
  uint64_t applied = 0;
  /// Upper bound of the entries in one AppendEntries (at least one entry).
  uint64_t max_size_per_msg_bytes = 1024 * 1024;
  /// Maximum number of AppendEntries in flight to one follower in the
  /// replicate state (pipelining window).
  uint64_t max_inflight_msgs = 16;
  /// Run a pre-vote round before bumping the term (Raft thesis §9.6).
  bool pre_vote = true;
  /// The leader steps down when it did not hear from a quorum within an
  /// election timeout, and followers ignore votes while they have a leader
  /// (Raft thesis §6.2, §4.2.3).
  bool check_quorum = true;
  /// A leader in snapshot state for a follower retries (probes again) after
  /// this many ticks without an answer; 0 means 4 * election_tick.
  uint64_t snapshot_retry_ticks = 0;

  /// Checks the ranges above; errc::invalid_spec with a message otherwise.
  status validate() const;
};

} // namespace actorswarm::raft
