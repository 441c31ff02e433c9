#pragma once

#include <cstdint>

#include "messages/result.hpp"

namespace actorswarm::scheduler {

/// Tunables of the scheduler logic, defaults after SwarmKit's scheduler.go.
struct scheduler_config {
  /// A node with this many failures of one service (same spec version) within
  /// failure_window_ns goes last for that service's tasks (spread and
  /// binpack; random ignores it). 0 disables the downweighting.
  uint32_t max_failures = 5;
  /// How far back failures count, in wall-clock nanoseconds (SwarmKit's
  /// monitorFailures, 5 minutes).
  int64_t failure_window_ns = 5LL * 60 * 1'000'000'000;

  /// errc::invalid_spec with a message when a value is out of range.
  status validate() const;
};

} // namespace actorswarm::scheduler
