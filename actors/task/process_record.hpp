#pragma once

// What this node durably records about a task process it started: enough to
// find the process again after a restart (pid and start time, so a reused
// pid is not mistaken for it) and to signal its whole process group. The
// agent records it; `swarm leave` and the daemon's shutdown read it. No CAF.

#include <cstdint>
#include <optional>
#include <string>

namespace actorswarm::task {

/// A process this node started for a task, as recorded durably.
struct process_record {
  int pid = 0;
  uint64_t start_time_ticks = 0;
  int pgid = 0;
};

/// Encodes/decodes a record for the task record store.
std::string encode_record(const process_record& x);
std::optional<process_record> decode_record(const std::string& x);

} // namespace actorswarm::task
