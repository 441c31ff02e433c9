#pragma once

// The policy a rolling update (or rollback) follows: docker's UpdateConfig
// with SwarmKit's defaults applied (manager/orchestrator/update/updater.go
// Run: spec.update, or spec.rollback while rolling back, or
// defaults.Service.Update/Rollback when the spec has none), and the checks
// `service create|update` make on both configs (SwarmKit's controlapi
// validateUpdate). Pure.

#include <cstdint>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::update {

/// What one run follows. Units last; values as stored (validated).
struct policy {
  /// Slots replaced per batch; 0 = all at once.
  uint64_t parallelism = 1;
  /// Wait between the end of one batch and the start of the next (ns).
  int64_t delay_ns = 0;
  /// How long a new task must stay up to count as updated: a new task that
  /// ends within this long after it started running is a failure (ns).
  int64_t monitor_ns = 0;
  /// Failures tolerated, as a fraction of the slots the run replaces.
  float max_failure_ratio = 0;
  pb::UpdateConfig::FailureAction failure_action = pb::UpdateConfig::PAUSE;
  pb::UpdateConfig::Order order = pb::UpdateConfig::STOP_FIRST;
};

/// The policy `x` describes, or docker's defaults when `x` is null
/// (cluster_defaults::update_*: parallelism 1, delay 0, pause, monitor 5 s,
/// ratio 0, stop-first).
policy policy_of(const pb::UpdateConfig* x);

/// True while `s` is rolling back (ROLLBACK_STARTED or ROLLBACK_PAUSED):
/// its rollback config applies instead of its update config.
bool rolling_back(const pb::Service& s);

/// The policy the update of `s` runs with: spec.rollback while rolling
/// back, spec.update otherwise (each: defaults when unset).
policy policy_of(const pb::Service& s);

/// SwarmKit's validateUpdate, on spec.update (`update-*` texts) and on
/// spec.rollback (the same checks, `rollback-*` texts): a negative delay or
/// monitor, or a max failure ratio outside [0, 1], is invalid_spec with
/// `rpc error: code = InvalidArgument desc = TaskSpec: update-delay cannot
/// be negative` (or ...update-monitor..., ...update-maxfailureratio cannot
/// be less than 0 or bigger than 1).
status validate_update_configs(const pb::ServiceSpec& spec);

} // namespace actorswarm::update
