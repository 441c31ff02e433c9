#pragma once

// The update and rollback policy flags of `service create` and `service
// update` (`--update-parallelism|delay|failure-action|monitor|
// max-failure-ratio|order` and the `--rollback-*` family) -> the spec's
// UpdateConfig messages, as docker's opts.go and update.go build them: a
// family none of whose flags is given leaves its config as it is (unset on
// create: the daemon's defaults); one given flag starts from the current
// config, else from docker's defaults, and replaces that one field. Pure: no
// IO.

#include <string>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// Raw values of one family as typed; an empty string means "not given".
struct update_config_flags {
  std::string parallelism;       // uint; 0 = all at once
  std::string delay;             // Go duration
  std::string failure_action;    // pause|continue|rollback
  std::string monitor;           // Go duration
  std::string max_failure_ratio; // float, 0..1
  std::string order;             // stop-first|start-first

  /// True when no flag of the family was given.
  bool empty() const;
};

/// Both families: `--update-*` and `--rollback-*`.
struct update_policy_flags {
  update_config_flags update;
  update_config_flags rollback;

  bool empty() const {
    return update.empty() && rollback.empty();
  }
};

/// docker's defaults (SwarmKit's defaults.Service.Update and .Rollback):
/// parallelism 1, delay 0, failure action pause, monitor 5s, max failure
/// ratio 0, order stop-first.
pb::UpdateConfig default_update_config();

/// Applies both families to `spec` (spec.update and spec.rollback). On a
/// bad value returns one line and leaves `spec` as it was: pflag's wording
/// for values that do not parse (`invalid argument "x" for
/// "--update-delay" flag: time: invalid duration "x"`), else docker's
/// daemon texts, which name "update" for both families (moby's
/// updateConfigToGRPC: `unrecognized update failure action x`,
/// `unrecognized update order x`; SwarmKit's validateUpdate: `TaskSpec:
/// update-maxfailureratio cannot be less than 0 or bigger than 1`,
/// `TaskSpec: update-delay cannot be negative`, `TaskSpec: update-monitor
/// cannot be negative`). `--rollback-failure-action` takes pause or
/// continue only (`unrecognized rollback failure action rollback`): a
/// rollback never rolls back.
status apply_update_policy(const update_policy_flags& f, pb::ServiceSpec& spec);

/// Parses a float the way pflag's float flags do (Go's
/// strconv.ParseFloat(s, 32)); on error Go's text:
/// `strconv.ParseFloat: parsing "x": invalid syntax` or `...: value out of
/// range`.
result<float> parse_float32(const std::string& text);

/// docker's name of a failure action: "pause", "continue", "rollback".
std::string failure_action_name(pb::UpdateConfig::FailureAction x);

/// docker's name of an update order: "stop-first", "start-first".
std::string update_order_name(pb::UpdateConfig::Order x);

} // namespace actorswarm::cli
