#pragma once

// A task's health check (docker's HEALTHCHECK, moby daemon/health.go) as
// plain logic: what to run (the spec's HealthConfig with docker's defaults)
// and the verdict after each probe. No IO, no clock, no CAF: the task actor
// runs the probes on its own timer messages and passes in the times.
//
// Docker's semantics: the task is STARTING until its first successful probe;
// a success makes it HEALTHY and clears the failure streak; a failure (a
// non-zero exit, or a probe that ran out of its timeout) adds to the streak,
// except while the task is STARTING within its start period, and `retries`
// consecutive failures make it UNHEALTHY. The first probe runs one interval
// after the start, the next one interval after the previous one ended.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/task/process_exit.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::task {

/// docker's defaults for a zero HealthConfig field (moby daemon/health.go).
constexpr int64_t health_interval_default_ns = 30'000'000'000;
constexpr int64_t health_timeout_default_ns = 30'000'000'000;
constexpr uint32_t health_retries_default = 3;

/// The error of a task failed for its health (SwarmKit's
/// ErrContainerUnhealthy).
extern const char* const unhealthy_text;

/// A health check ready to run, with docker's defaults filled in.
struct health_plan {
  /// What to exec: {"/bin/sh", "-c", cmd} for CMD-SHELL, the argv for CMD.
  std::vector<std::string> argv;
  int64_t interval_ns = health_interval_default_ns;
  int64_t timeout_ns = health_timeout_default_ns;
  uint32_t retries = health_retries_default;
  int64_t start_period_ns = 0;
};

/// The check of `c`, or none: no healthcheck, test ["NONE"] (docker's
/// --no-healthcheck), an empty test (docker: inherit the image's; the host
/// runtime's image has none), or a CMD / CMD-SHELL without a command.
std::optional<health_plan> health_plan_of(const pb::ContainerSpec& c);

/// True when `c` has a check that runs (health_plan_of is not empty).
bool has_health_check(const pb::ContainerSpec& c);

/// The error of a task stopped because it turned unhealthy, after its
/// process ended with `x`: "task: non-zero exit (N): dockerexec: unhealthy
/// container" (moby's executor), or unhealthy_text for a zero or unknown
/// exit.
std::string unhealthy_error(const process_exit& x);

/// The verdict of one task's probes (moby's Health state: status plus
/// failing streak).
class health_monitor {
public:
  /// A task whose process started at `started_ns` (wall clock). `from`:
  /// HEALTHY resumes a verdict (a task adopted after a daemon restart);
  /// anything else starts at STARTING.
  health_monitor(health_plan plan, int64_t started_ns,
                 pb::TaskStatus::Health from = pb::TaskStatus::STARTING);

  const health_plan& plan() const {
    return plan_;
  }

  /// STARTING, HEALTHY or UNHEALTHY.
  pb::TaskStatus::Health status() const {
    return status_;
  }

  /// Consecutive failures counted so far.
  uint32_t failing_streak() const {
    return streak_;
  }

  /// One probe's outcome: `ok` for exit code 0 (anything else, including a
  /// timeout, fails); `probe_start_ns`: when it started (the start period
  /// is measured to it). Returns true when the status changed. UNHEALTHY is
  /// final here: the task actor stops the task.
  bool on_probe(bool ok, int64_t probe_start_ns);

private:
  health_plan plan_;
  int64_t started_ns_;
  pb::TaskStatus::Health status_ = pb::TaskStatus::STARTING;
  uint32_t streak_ = 0;
};

/// docker ps's words for a health: "health: starting", "healthy",
/// "unhealthy"; "" for NONE.
const char* health_text(pb::TaskStatus::Health h);

} // namespace actorswarm::task
