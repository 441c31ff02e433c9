#pragma once

// CPU and memory limits of task processes through cgroups (DESIGN.md, Task
// runtimes). Detects v2 (unified, `<mount>/cgroup.controllers`) or v1
// (`<mount>/memory`, `<mount>/cpu`), creates one group per task under a
// configurable root, writes the limits, moves the task process in before it
// execs, and removes the group after the exit. Where the host has no cgroups
// or refuses (not root, read-only), tasks run without limits and the caller
// gets a warning text instead of an error.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/objects.pb.h"

namespace actorswarm::task {

/// Which cgroup interface the host offers.
enum class cgroup_version : uint8_t { none, v1, v2 };

/// Where cgroups live. Tests use their own root (`actorswarm-test-<pid>`).
struct cgroup_config {
  /// Mount point of the cgroup file systems.
  std::string mount = "/sys/fs/cgroup";
  /// Our groups' parent below each hierarchy: `<mount>[/<ctrl>]/<root>/<id>`.
  std::string root = "actorswarm";
};

/// Creates, fills and removes per-task cgroups. Stateless apart from the
/// detected version; safe to call from several threads for different tasks.
class cgroups {
public:
  /// Detects the cgroup version under `cfg.mount`.
  explicit cgroups(cgroup_config cfg);

  /// The detected interface.
  cgroup_version version() const {
    return version_;
  }

  /// Creates the task's groups and writes `limits` (nano_cpus -> cpu quota
  /// over a 100 ms period; memory_bytes -> memory limit; 0 = unlimited).
  /// Returns "" on success, else a one-line warning (the task runs anyway).
  std::string create(const std::string& task_id, const pb::Resources& limits);

  /// Moves `pid` into the task's groups (call before the process execs).
  /// Returns "" on success or when no group exists, else a warning.
  std::string join(const std::string& task_id, pid_t pid);

  /// SIGKILLs any process left in the task's groups, then removes them.
  /// True when no group of the task remains (a killed process may keep its
  /// group busy a moment: call again on the next maintenance pass).
  bool remove(const std::string& task_id);

  /// Removes every task group left under the root (killing its processes)
  /// and the root groups themselves; for tests cleaning up. True if gone.
  bool remove_root();

  /// The group directories of a task, one per hierarchy used.
  std::vector<std::string> task_dirs(const std::string& task_id) const;

private:
  std::vector<std::string> root_dirs() const;

  cgroup_config cfg_;
  cgroup_version version_ = cgroup_version::none;
};

/// cpu quota in microseconds per 100 ms period for `nano_cpus` (1e9 = one
/// core), at least 1 ms (the kernel's minimum); 0 for no limit.
int64_t cpu_quota_us(int64_t nano_cpus);

/// The cpu period the quota refers to, in microseconds.
constexpr int64_t cpu_period_us = 100000;

} // namespace actorswarm::task
