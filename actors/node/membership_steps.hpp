#pragma once

// The bounded waits and retries of the node's membership sequences, without
// CAF: each function says what a sequence does next, the actor that runs it
// sends the request or arms the timer. Intervals and bounds in one place.
//
//   swarm join (joining side)   join_actor: JoinRequest, retried while the
//                               swarm has no leader; then, on a new manager,
//                               linearizable reads until it caught up.
//   demote of the leader        role_change_actor: leadership transfer, then
//                               status polls until another manager leads.

#include <cstdint>

#include "actors/raft/apply_batch.hpp"
#include "messages/defaults.hpp"
#include "messages/result.hpp"

namespace actorswarm::node {

// -- swarm join ---------------------------------------------------------------

/// A join waits for a round trip to the leader and two commits there.
constexpr int64_t join_timeout_ms = cluster_defaults::join_timeout_ms;

/// Pause before a join is sent again because the swarm had no leader.
constexpr int64_t join_retry_ms = 100;

/// Joins sent at most (the first included).
constexpr int join_attempts = 100;

/// Whether the join sent as attempt `attempt` (0 for the first), answered
/// with `code` (an errc), is sent again: only while the swarm has no leader
/// (not_leader) and attempts are left.
bool retry_join(uint32_t code, int attempt);

/// Pause between the reads of a new manager that has not caught up yet.
constexpr int64_t catch_up_poll_ms = 20;

/// Reads after the first at most, before the join answers without waiting.
constexpr int catch_up_polls = 100;

/// What a new manager's catch-up does after read number `polls` (0 for
/// the first) answered `fresh`.
enum class catch_up_step {
  done,       // caught up: answer the join
  poll_again, // read again after catch_up_poll_ms
  give_up,    // answer with catch_up_warning
};

/// The next step of the catch-up.
catch_up_step after_read(bool fresh, int polls);

/// The warning of a join answered before the new manager caught up.
constexpr const char* catch_up_warning
  = "this manager has not caught up with the leader yet";

// -- demote of the leader -----------------------------------------------------

/// A request to another node over the cluster port (forward to the leader,
/// tell a node its role) waits at most this long.
constexpr int64_t role_timeout_ms = cluster_defaults::role_change_timeout_ms;

/// Pause before each status poll of a leadership transfer.
constexpr int64_t transfer_poll_ms = 100;

/// Status polls after the first at most, before the demote gives up.
constexpr int transfer_polls = 50;

/// Pause between seeing the new leader and forwarding the demote to it: it
/// hears from every manager within a heartbeat or two; until then it would
/// count them unreachable.
constexpr int64_t settle_after_transfer_ms = 300;

/// The reachable manager the leader `st` hands leadership to: the first
/// reachable voter that is not itself; 0 if there is none.
uint64_t transfer_target(const raft::raft_status& st);

/// What a leadership transfer away from `me` does after status poll number
/// `polls` (0 for the first) saw leader `lead` (0: none known).
enum class transfer_step {
  forward,    // another manager leads: forward the demote to it (settled)
  poll_again, // poll again after transfer_poll_ms
  give_up,    // answer transfer_timeout()
};

/// The next step of the transfer.
transfer_step after_status(uint64_t lead, uint64_t me, int polls);

/// The failure of a demote whose leadership transfer did not complete.
failure transfer_timeout();

} // namespace actorswarm::node
