#pragma once

// Daemons on "hosts" that are network namespaces (tests/support/
// netns_hosts.hpp): one `actorswarm daemon` per host, started inside the
// host's namespace with its own data dir and control socket under the
// harness's temp dir, its cluster port on the host's own address (the port
// can be fixed: each host has its own port space). The CLI runs in the
// test's namespace: it talks to the daemon's unix control socket, which is a
// file, not a network address.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_fixture.hpp"
#include "support/netns_hosts.hpp"

namespace actorswarm::test {

/// The cluster port every netns daemon listens on (on its host's address).
constexpr int netns_cluster_port = 2377;

/// One daemon in host `i` of `hosts` (which must outlive it). Its files live
/// in `hosts.dir()/node<i>/`. Destruction stops the daemon (SIGTERM, SIGKILL
/// after a bounded wait) and prints its log when the test case failed; the
/// harness's close() kills whatever remains in the namespace (its tasks).
class netns_daemon {
public:
  netns_daemon(const netns_hosts& hosts, size_t i,
               std::vector<std::string> flags = {});
  ~netns_daemon();

  netns_daemon(const netns_daemon&) = delete;
  netns_daemon& operator=(const netns_daemon&) = delete;

  /// Starts the daemon inside the host and waits (bounded, 10 s) until its
  /// control socket answers; false when it exited first or did not answer.
  bool start();

  /// Sends `sig` and waits (bounded, 15 s) until it is gone.
  bool stop(int sig);

  /// `actorswarm -H unix://<socket> args...` (in the test's namespace).
  cmd_result cli(const std::vector<std::string>& args) const;

  /// The node's address and port: "192.168.k.<i+1>:2377".
  std::string cluster_addr() const;

  /// The host's address: "192.168.k.<i+1>".
  std::string addr() const;

  std::string dir() const;
  std::string data_dir() const {
    return dir() + "/data";
  }
  std::string socket_path() const {
    return dir() + "/ctl.sock";
  }
  std::string daemon_log() const;

  pid_t pid() const noexcept {
    return pid_;
  }

  size_t host() const noexcept {
    return i_;
  }

  /// Live task processes of this daemon (with ACTORSWARM_TASK_ID set, in its
  /// host's namespace or a task namespace it pinned), sorted.
  std::vector<pid_t> task_pids() const;

  /// This node's ID (`info`), or "".
  std::string node_id() const;

private:
  const netns_hosts& hosts_;
  size_t i_;
  std::vector<std::string> flags_;
  pid_t pid_ = 0;
};

/// One daemon per host of `hosts`, all started; a swarm formed by form().
class netns_swarm {
public:
  explicit netns_swarm(const netns_hosts& hosts,
                       std::vector<std::string> flags = {});

  netns_daemon& operator[](size_t i) {
    return *nodes_.at(i);
  }
  const netns_daemon& operator[](size_t i) const {
    return *nodes_.at(i);
  }
  size_t size() const noexcept {
    return nodes_.size();
  }

  /// Starts every daemon, `swarm init --advertise-addr <host 0>` on node 0
  /// (with `init_flags`), then joins node 1.. with the manager token of node
  /// 0 (`managers` of them in all, node 0 included; the rest with the worker
  /// token) through node 0's address, over the bridge. Waits (bounded) until
  /// node 0 lists every node Ready. Returns "" or what failed.
  std::string form(size_t managers,
                   const std::vector<std::string>& init_flags = {});

  /// Stops every daemon still running (SIGTERM; SIGKILL when it outlives
  /// the wait). True when all stopped on SIGTERM.
  bool stop_all();

private:
  const netns_hosts& hosts_;
  std::vector<std::unique_ptr<netns_daemon>> nodes_;
};

/// One row of `node ls`: ID, STATUS, MANAGER STATUS.
struct netns_node_row {
  std::string id;
  std::string status;
  std::string manager_status;
};

/// `node ls` through `d`; empty when the command failed.
std::vector<netns_node_row> node_ls(const netns_daemon& d);

} // namespace actorswarm::test
