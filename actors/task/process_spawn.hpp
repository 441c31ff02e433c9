#pragma once

// The fork half of the process runtime: everything between fork() and
// execve() runs in the child of a multi-threaded daemon, so it may only make
// async-signal-safe calls. All strings and arrays are built before the fork.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::task {

/// What the child needs, prepared in the parent.
struct spawn_request {
  /// Absolute or workdir-relative program path (already resolved on PATH).
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string workdir;
  /// The file stdout and stderr append to.
  std::string log_path;
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
enum class spawn_stage : int32_t { stdio = 1, chdir = 2, exec = 3 };

/// The 8-byte record a failing child writes to the error pipe.
struct spawn_error_record {
  int32_t stage = 0;
  int32_t err = 0;
};

/// Forks the gated child (see process_executor.hpp). Fails if the log file
/// cannot be opened or fork fails.
result<spawned> spawn_gated(const spawn_request& req);

/// Resolves `program` the way execvp does, on the PATH found in `env` (or
/// the default PATH): a name with a '/' is returned as is. Fails with
/// `task: exec "x": executable file not found in $PATH`.
result<std::string> resolve_program(const std::string& program,
                                    const std::vector<std::string>& env);

/// The error text for a record: `task: exec "/x": Permission denied`.
std::string describe(const spawn_error_record& rec, const std::string& path,
                     const std::string& workdir);

} // namespace actorswarm::task
