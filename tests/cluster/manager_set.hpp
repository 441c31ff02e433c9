#pragma once

// Several managers (and workers) of one swarm for the cluster tests: one
// cluster_fixture (own temp dir, control socket, cluster port) per daemon.
// Daemon i listens on 127.0.0.(1 + i % 3), so some links cross loopback
// addresses. The set remembers which daemons should be managers (tests say
// so after promote, demote and leave) for wait_stable_leader().

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_fixture.hpp"

namespace actorswarm::test {

/// One row of `node ls` as seen by one manager.
struct node_row {
  std::string id;
  std::string manager_status; // Leader | Reachable | Unreachable | ""
};

/// `n` managers then `workers` workers (indices n..n+workers-1), not started
/// yet. `daemon_flags` go to every daemon.
class manager_set {
public:
  explicit manager_set(size_t n, std::vector<std::string> daemon_flags = {},
                       size_t workers = 0);

  cluster_fixture& operator[](size_t i) {
    return *managers_.at(i);
  }

  const cluster_fixture& operator[](size_t i) const {
    return *managers_.at(i);
  }

  size_t size() const noexcept {
    return managers_.size();
  }

  /// Starts every daemon, `swarm init` on manager 0, joins manager 1 through
  /// manager 0 and every later one through manager 1 (a follower), then
  /// every worker through manager 0 with the worker token. Returns "" or
  /// what failed (with the CLI's output).
  std::string form();

  /// `swarm join` with the worker token of manager 0 on daemon `i`, through
  /// manager `via`; "" or what failed. Waits until `via` lists the node.
  std::string join_worker(size_t i, size_t via);

  /// Daemon `i` is (true) or is no longer (false) expected to be a manager.
  void set_manager(size_t i, bool manager) {
    manager_.at(i) = manager;
  }

  /// Indices of the daemons expected to be managers.
  std::vector<size_t> managers() const;

  /// Index of the manager whose cluster address the last "session open with
  /// manager" line of daemon `i`'s log names (its agent's dispatcher
  /// link), or -1.
  int agent_manager(size_t i) const;

  /// `swarm join --token <manager token from `token_from`> <addr of via>` on
  /// manager `i`.
  cmd_result join(size_t i, size_t token_from, size_t via);

  /// The manager join token printed by `swarm join-token -q manager` on
  /// manager `i`, or "".
  std::string manager_token(size_t i) const;

  /// This daemon's node ID (`info`), or "".
  std::string node_id(size_t i) const;

  /// `node ls` on manager `i`; empty when the command failed.
  std::vector<node_row> node_rows(size_t i) const;

  /// Index of the manager whose node ID `node ls` on manager `i` marks as
  /// Leader, or -1 (none, several, or not one of ours).
  int leader_seen_by(size_t i) const;

  /// Waits (bounded) until every live expected manager's `node ls` marks
  /// exactly the expected managers with a MANAGER STATUS and the same single
  /// Leader; returns its index or -1.
  int wait_stable_leader(std::chrono::milliseconds timeout
                         = std::chrono::seconds{10}) const;

  /// Live task processes of every manager's data dir (daemons alive or
  /// not: a killed daemon's tasks live on).
  size_t total_tasks() const;

  /// Waits (bounded) until total_tasks() is `n` and stays so for a short
  /// settle time; returns the last count seen.
  size_t wait_total_tasks(size_t n, std::chrono::milliseconds timeout
                                    = std::chrono::seconds{10}) const;

  /// Waits (bounded) until `service ls` on manager `i` shows REPLICAS `want`
  /// for `name`.
  bool wait_replicas(size_t i, const std::string& name, const std::string& want,
                     std::chrono::milliseconds timeout = std::chrono::seconds{
                       10}) const;

private:
  // After a failed init or join: if daemon `i` could not listen on its
  // cluster port, restarts it on a new port; true if it did.
  bool moved_port(size_t i);

  std::vector<std::unique_ptr<cluster_fixture>> managers_;
  std::vector<bool> manager_;
  mutable std::vector<std::string> node_ids_;
};

/// Text of a CLI result for INFO / failure messages.
std::string describe(const cmd_result& r);

/// True when `part` occurs in `text`.
bool contains(const std::string& text, const std::string& part);

/// Some expected manager of `m` other than `not_this` whose daemon runs, or
/// `not_this`.
size_t live_other(const manager_set& m, size_t not_this);

/// `service scale -d name=n` on daemon `i`, retried (bounded) until it
/// succeeds; the result of the last try.
cmd_result scale_eventually(manager_set& m, size_t i, const std::string& name,
                            int n, std::chrono::milliseconds timeout);

/// `service create -d --name name --replicas n --restart-delay 0s host
/// sleep 3600` on daemon `i`.
cmd_result create_service(manager_set& m, size_t i, const std::string& name,
                          int replicas);

/// Forms `m` and returns the leader every manager agrees on; fails the
/// test case (REQUIRE) when either does not happen.
size_t form_and_lead(manager_set& m);

} // namespace actorswarm::test
