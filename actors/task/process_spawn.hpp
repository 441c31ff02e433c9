#pragma once

// The spawn half of the process runtime. The gated child is started with
// posix_spawn of the small `actorswarm-gate` program (CLONE_VM|CLONE_VFORK in
// glibc: no copy of the daemon's page tables), which waits at the gate and
// then execs the task. Without a gate program it falls back to fork():
// everything between fork() and execve() runs in the child of a
// multi-threaded daemon, so it may only make async-signal-safe calls. All
// strings and arrays are built before the spawn.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "os/credentials.hpp"

namespace actorswarm::task {

/// What the child needs, prepared in the parent.
struct spawn_request {
  /// Absolute or workdir-relative program path (already resolved on PATH).
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string workdir;
  /// Where stdout and stderr go: the task's output FIFO (or a file, which
  /// is created and appended to). Opened read-write (see spawn_gated).
  std::string log_path;
  /// The `actorswarm-gate` program; empty: fork() instead.
  std::string gate_path;
  /// User and capabilities applied just before exec (os/credentials.hpp);
  /// `groups` backs creds.groups (spawn_gated points it there).
  os::credentials creds;
  std::vector<uint32_t> groups;
  /// A network namespace (a pinned path) the child enters before it waits
  /// at its gate; empty: the daemon's.
  std::string netns_path;
  /// With a network namespace: the task's hostname (its own UTS namespace)
  /// and the file bound onto /etc/resolv.conf (its own mount namespace);
  /// empty: none (actors/task/sandbox.hpp).
  std::string hostname;
  std::string resolv_conf;
  /// Bind mounts made in the task's own mount namespace (with or without a
  /// network namespace), in order (actors/task/mounts.hpp plans them,
  /// sandbox.hpp makes them). At most sandbox_mounts_max; no newline in a
  /// path.
  struct bind_mount {
    std::string source;
    std::string target;
    bool read_only = false;
  };
  std::vector<bind_mount> mounts;
};

/// A forked child blocked at its gate.
struct spawned {
  pid_t pid = 0;
  /// Write end of the gate (send one byte to release; close to abort).
  int gate_fd = -1;
  /// Read end of the exec-error pipe, non-blocking.
  int err_fd = -1;
};

/// Stages of the child that report errors through the error pipe.
/// `user` and `caps` are os::credentials_step's values; `args`: the gate
/// could not read its arguments (a gate from another build).
enum class spawn_stage : int32_t {
  stdio = 1,
  chdir = 2,
  exec = 3,
  user = 4,
  caps = 5,
  args = 6,
  netns = 7,
  sandbox = 8,
  /// Mount i of spawn_request::mounts failed: the stage is mount + i.
  mount = 1000,
};

/// The 8-byte record a failing child writes to the error pipe.
struct spawn_error_record {
  int32_t stage = 0;
  int32_t err = 0;
};

/// Starts the gated child (see process_executor.hpp): posix_spawn of
/// `req.gate_path`, or fork() when it is empty or cannot be spawned. Fails if
/// the log file cannot be opened or fork fails.
result<spawned> spawn_gated(const spawn_request& req);

/// What a health probe's child needs, prepared in the parent.
struct probe_request {
  /// Resolved program path, argv and env as for a task.
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string workdir;
  os::credentials creds;
  std::vector<uint32_t> groups;
  /// The task process whose namespaces the probe enters (network, UTS,
  /// mount: those that differ from the daemon's).
  pid_t ns_pid = 0;
};

/// Forks a health probe (process_executor::probe): own process group,
/// signals at their defaults, stdio /dev/null, the task's namespaces, its
/// workdir and credentials, then exec. A child that cannot set up or exec
/// exits 127 (a failed probe). The caller holds a process_watcher
/// spawn_guard around it. Fails if a namespace cannot be opened or fork
/// fails.
result<pid_t> spawn_probe(const probe_request& req);

/// The gate program: `override_path` if set, else `actorswarm-gate` next to
/// /proc/self/exe; empty if that is not an executable file.
std::string find_gate_program(const std::string& override_path);

/// Resolves `program` the way execvp does, on the PATH found in `env` (or
/// the default PATH): a name with a '/' is returned as is. Fails with
/// `task: exec "x": executable file not found in $PATH`.
result<std::string> resolve_program(const std::string& program,
                                    const std::vector<std::string>& env);

/// The error text for a record: `task: exec "/x": Permission denied`,
/// `task: set user "1000:1000": Operation not permitted` (`user`: the
/// spec's --user), `task: mount /src on /srv: Not a directory` (`mounts`:
/// the request's mounts as "source on target").
std::string describe(const spawn_error_record& rec, const std::string& path,
                     const std::string& workdir, const std::string& user,
                     const std::vector<std::string>& mounts = {});

} // namespace actorswarm::task
