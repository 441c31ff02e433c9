#pragma once

// How a task process ended: the one exit fact of the task runtime. The
// process watcher reports it, the executor passes it on, the task actor
// receives it and the task state machine steps on it.

#include <cstdint>
#include <string>

namespace actorswarm::task {

/// The end of one task process.
struct process_exit {
  /// False: the process was not our child (adopted after a daemon restart),
  /// or it was gone before it could be watched; code and signal are then
  /// unknown (0) and the end counts as a failure.
  bool known = true;
  /// Exit code; for a process killed by a signal 128 + signal, as shells
  /// and Docker report it.
  int32_t exit_code = 0;
  /// The signal that killed the process, 0 if it exited normally.
  int32_t signal = 0;

  /// An exit whose status cannot be known.
  static process_exit unknown() {
    process_exit x;
    x.known = false;
    return x;
  }

  /// True for a known exit with code 0 (not killed by a signal).
  bool succeeded() const {
    return known && exit_code == 0 && signal == 0;
  }
};

/// The text for an end whose status is unknown.
extern const char* const exit_unknown_text;

/// One line for logs: "exit code 3", "killed by signal 9", or
/// exit_unknown_text.
std::string to_string(const process_exit& x);

} // namespace actorswarm::task
