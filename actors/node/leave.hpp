#pragma once

// `swarm leave --force` without CAF: the task processes this node recorded,
// signalling them, and wiping the swarm state from the data dir so a later
// `swarm init` starts a brand-new cluster. The node actor sequences them
// (stop the components, wait for them, wipe, then stop the processes).

#include <string>
#include <vector>

#include "actors/task/process_record.hpp"

namespace actorswarm::persistence {
class data_dir;
class task_record_store;
} // namespace actorswarm::persistence

namespace actorswarm::node {

/// Docker's default stop grace period, used for every task at leave (the
/// per-service value lives in the store, which is gone by then).
constexpr int64_t leave_stop_grace_ms = 10'000;

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

/// Deletes the swarm state of `dir`: Raft log and hard state, snapshots,
/// task records, and node_state's cluster_id, addr and raft_id (the node id
/// stays). Nobody may use these stores meanwhile (store and agent gone).
void wipe_swarm_state(persistence::data_dir& dir);

} // namespace actorswarm::node
