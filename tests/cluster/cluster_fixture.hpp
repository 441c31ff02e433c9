#pragma once

// Cluster-test fixture: one real `actorswarm daemon` per test, in its own temp
// dir with its own control socket and cluster port, driven through the real
// CLI binary (AS_BINARY). Only tests/cluster uses it; it may poll and wait
// (bounded), unlike the unit and actor tiers.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace actorswarm::test {

/// What one CLI invocation printed and how it exited.
struct cmd_result {
  /// Exit status, or 128 + signal, or -1 when it had to be killed (timeout).
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// One row of `service ps`, as printed (NAME keeps its ` \_ ` history prefix,
/// ERROR its quotes).
struct task_row {
  std::string id;
  std::string name;
  std::string node;
  std::string desired_state;
  std::string current_state;
  std::string error;
};

/// Whether an assertion of the running test case failed (fixtures print
/// their daemons' logs then).
bool test_case_failed();

/// Whether a unix socket at `path` accepts a connection.
bool socket_answers(const std::string& path);

/// The whole file (empty if it cannot be read).
std::string read_file(const std::string& path);

/// Calls `pred` every `step` until it returns true or `timeout` has passed;
/// returns its last value. Bounded in time and count.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds{10},
                std::chrono::milliseconds step = std::chrono::milliseconds{20});

/// Runs `args` (argv[0] first) with stdout and stderr captured; kills it with
/// SIGKILL after `timeout`. `extra_env` entries ("K=V") are added.
cmd_result
run_process(const std::vector<std::string>& args,
            std::chrono::milliseconds timeout = std::chrono::seconds{30},
            const std::vector<std::string>& extra_env = {});

/// A TCP port of loopback address `host` that was free a moment ago.
int free_port(const std::string& host = "127.0.0.1");

/// True while `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

/// Splits `text` into lines (no trailing empty line).
std::vector<std::string> lines_of(const std::string& text);

/// Splits `text` at every `sep`.
std::vector<std::string> split(const std::string& text, char sep);

/// One temp dir (mkdtemp) holding data dir, control socket and daemon log;
/// a daemon started on it. Destruction stops the daemon (SIGTERM, SIGKILL
/// after a bounded wait), kills by PID every task process of this test still
/// alive, prints the daemon log when the test failed, and removes the dir.
class cluster_fixture {
public:
  cluster_fixture();
  ~cluster_fixture();

  cluster_fixture(const cluster_fixture&) = delete;
  cluster_fixture& operator=(const cluster_fixture&) = delete;

  /// The cluster port binds `host` (127.0.0.x) instead of 127.0.0.1, on a
  /// port picked anew on that host; call before start_daemon().
  void set_listen_host(std::string host) {
    listen_host_ = std::move(host);
    port_ = free_port(listen_host_);
  }

  /// Flags added to every daemon this fixture starts (e.g.
  /// {"--snapshot-interval", "20"}); call before start_daemon().
  void set_daemon_flags(std::vector<std::string> flags) {
    daemon_flags_ = std::move(flags);
  }

  /// HOST:PORT of this daemon's cluster port (what `swarm join` takes).
  std::string cluster_addr() const {
    return listen_host_ + ":" + std::to_string(port_);
  }

  /// Starts a daemon on `data_dir()` and waits (bounded) until its socket
  /// answers. Returns false (the daemon log says why) when it exited or did
  /// not answer within 10 s.
  bool start_daemon();

  /// Starts a daemon with `data_dir` and `control_path` instead of ours,
  /// waits at most `wait` for it to exit; returns its result (exit_code -1:
  /// still running after `wait`; it is then killed).
  cmd_result run_daemon_until_exit(const std::string& data_dir,
                                   const std::string& control_path,
                                   std::chrono::milliseconds wait);

  /// Sends `sig` to the daemon and waits (bounded, 15 s) until it is gone.
  /// Returns false if it outlived the wait.
  bool stop_daemon(int sig);

  /// Runs `actorswarm -H unix://<socket> args...`.
  cmd_result cli(const std::vector<std::string>& args) const;

  /// `swarm init`; true on success.
  bool swarm_init() const;

  /// PIDs of live processes whose environment holds ACTORSWARM_TASK_ID=<id>
  /// for a task dir under `data_dir()/tasks`, sorted.
  std::vector<pid_t> task_pids() const;

  /// The live task process of task `task_id`, or 0.
  pid_t task_pid(const std::string& task_id) const;

  /// Waits (bounded) until exactly `n` task processes are alive and stay so
  /// for a short settle time; returns the last count seen.
  size_t wait_task_count(size_t n, std::chrono::milliseconds timeout
                                   = std::chrono::seconds{10}) const;

  /// Waits until `service ls` shows REPLICAS `want` for `name`.
  bool wait_replicas(const std::string& name, const std::string& want,
                     std::chrono::milliseconds timeout = std::chrono::seconds{
                       10}) const;

  /// Rows of `service ps --no-trunc name`, in the CLI's order; empty when
  /// the command failed.
  std::vector<task_row> ps_rows(const std::string& name) const;

  /// The REPLICAS column of `service ls` for `name`, or "" if absent.
  std::string replicas_of(const std::string& name) const;

  /// The daemon's stdout and stderr so far.
  std::string daemon_log() const;

  const std::string& dir() const noexcept {
    return dir_;
  }

  std::string data_dir() const {
    return dir_ + "/data";
  }

  std::string socket_path() const {
    return dir_ + "/ctl.sock";
  }

  pid_t daemon_pid() const noexcept {
    return daemon_pid_;
  }

  int port() const noexcept {
    return port_;
  }

private:
  pid_t spawn_daemon(const std::string& data_dir,
                     const std::string& control_path,
                     const std::string& log_path) const;
  void kill_leftover_tasks() const;

  std::string dir_;
  std::string listen_host_ = "127.0.0.1";
  std::vector<std::string> daemon_flags_;
  int port_ = 0;
  pid_t daemon_pid_ = 0;
};

/// stderr lines that say what went wrong (docker's usage hint left out).
std::vector<std::string> error_lines(const std::string& err);

/// Runs `args` through `f`'s CLI and expects a refusal: a non-zero exit
/// (`exit_code` exactly, when not 0), one stderr line containing `needle`,
/// `service ls` unchanged and the daemon still running.
void expect_refused(const cluster_fixture& f,
                    const std::vector<std::string>& args,
                    const std::string& needle, int exit_code = 0);

} // namespace actorswarm::test
