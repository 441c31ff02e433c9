#pragma once

// Leaving without CAF. `swarm leave`: the task processes this node
// recorded, signalling them, when to check them again or kill them, and
// wiping the swarm state from the data dir so a later `swarm init` starts a
// brand-new cluster (leave_actor stops the components, then the processes;
// membership_actor wipes). A demoted manager leaves the Raft group only:
// it forgets its Raft state and continues as a worker.

#include <string>
#include <vector>

#include "actors/node/membership.hpp"
#include "actors/task/process_record.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::persistence {
class data_dir;
class task_record_store;
} // namespace actorswarm::persistence

namespace actorswarm::node {

/// Docker's default stop grace period, used for every task at leave (the
/// per-service value lives in the store, which is gone by then).
constexpr int64_t leave_stop_grace_ms = cluster_defaults::leave_stop_grace_ms;

/// Interval of the leave's checks whether the stopped processes are gone.
constexpr int64_t leave_check_interval_ms = 100;

/// The recorded task processes that still live (pid and start time match).
std::vector<task::process_record>
live_task_processes(const persistence::task_record_store& records);

/// Drops the records of processes that are gone; returns what still lives.
std::vector<task::process_record>
still_alive(const std::vector<task::process_record>& xs);

/// Sends `sig` to the process group of each of `xs`.
void signal_groups(const std::vector<task::process_record>& xs, int sig);

/// What the leave does after its check number `checks` (0 for the first)
/// found `alive` of the stopped task processes still alive.
enum class stop_check {
  wait, // check again after leave_check_interval_ms
  kill, // the grace period ran out: SIGKILL what lives, then done
  done, // all gone
};

/// The next step of the leave's process checks: wait while processes live
/// and the stop grace period lasts.
stop_check next_stop_check(size_t alive, int64_t checks);

/// A demoted manager: clears the Raft log and snapshots of `dir`, takes a
/// new Raft id (random from `secrets`; ids of removed members are never
/// reused) and continues as a worker of `managers`; returns the identity,
/// saved in `dir`.
identity demote_to_worker(persistence::data_dir& dir, identity id,
                          std::vector<std::string> managers,
                          const cluster_secrets& secrets);

/// Wipes the swarm state of `dir` (wipe_swarm_state) and returns the
/// identity of the node that left: its node id, in no swarm, and a new Raft
/// id (random from `secrets`) for the next swarm.
identity left_swarm(persistence::data_dir& dir, const std::string& hostname,
                    const cluster_secrets& secrets);

/// Deletes the swarm state of `dir`: Raft log and hard state, snapshots,
/// task records, and node_state's cluster_id, addr and raft_id (the node id
/// stays). Nobody may use these stores meanwhile (store and agent gone).
void wipe_swarm_state(persistence::data_dir& dir);

} // namespace actorswarm::node
