#pragma once

// `service create` flags -> pb::ServiceSpec, with docker's defaults (replicas
// 1, restart condition any, delay 5s, max attempts 0, window 0, stop grace
// 10s) and docker's texts for bad values. Pure: no IO.

#include <string>
#include <vector>

#include "cli/update_policy.hpp"
#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// docker's --health-* flags (`service create` and `service update`), raw
/// as typed; an empty string means "not given".
struct health_flags {
  std::string cmd;        // --health-cmd
  bool cmd_given = false; // update: `--health-cmd ""` clears the command
  std::string interval;   // Go durations, not negative
  std::string timeout;
  std::string start_period;
  std::string retries; // int
  bool no_healthcheck = false;
};

/// Raw flag values as typed; an empty string means "not given".
struct service_create_flags {
  std::string name;
  std::string mode;                 // replicated|global
  std::string replicas;             // uint
  std::string restart_condition;    // none|on-failure|any
  std::string restart_delay;        // Go duration
  std::string restart_max_attempts; // uint
  std::string restart_window;       // Go duration
  std::vector<std::string> constraints;
  std::vector<std::string> placement_prefs; // spread=node.labels.X
  std::string replicas_max_per_node;        // uint
  std::string reserve_cpu;                  // decimal
  std::string reserve_memory;               // RAMInBytes
  std::string limit_cpu;
  std::string limit_memory;
  std::vector<std::string> env; // K=V
  std::string workdir;
  std::vector<std::string> labels;  // K=V
  std::string stop_grace_period;    // Go duration
  std::string placement_strategy;   // spread|binpack|random
  std::string user;                 // UID[:GID] or NAME[:GROUP]
  std::vector<std::string> cap_add; // capability names or ALL
  std::vector<std::string> cap_drop;
  std::vector<std::string> networks; // NAME or name=N,alias=A
  std::vector<std::string> publish;  // published=P,target=T,... or P:T
  std::string endpoint_mode;         // vip|dnsrr
  std::string hostname;
  // --mount (cli/mount_spec.hpp), repeatable.
  std::vector<std::string> mounts;
  health_flags health;
  std::string image;
  std::vector<std::string> command; // argv after IMAGE, untouched

  /// `--update-*` and `--rollback-*` (cli/update_policy.hpp).
  update_policy_flags policy;
};

/// Builds the spec; on a bad value returns one line such as
/// `invalid argument "5x" for "--restart-delay" flag: time: unknown unit "x"
/// in duration "5x"`.
result<pb::ServiceSpec> build_service_spec(const service_create_flags& f);

/// Parses `--placement-strategy` / `--scheduler-strategy` values.
result<pb::Placement::Strategy> parse_strategy(const std::string& flag,
                                               const std::string& value);

/// Applies the --restart-* flag values (empty = not given) to `rp`, which
/// holds the starting point: docker's defaults on create, the current policy
/// on update. On a bad value returns the flag error and leaves `rp` as it was
/// except for an already applied condition.
status apply_restart_flags(const std::string& condition,
                           const std::string& delay,
                           const std::string& max_attempts,
                           const std::string& window, pb::RestartPolicy& rp);

/// Docker CLI's NormalizeCapability: trimmed, upper case, CAP_ prefixed
/// (ALL and RESET as they are). No check of the name: the daemon does it.
std::string normalize_cap(const std::string& x);

/// Docker CLI's EffectiveCapAddCapDrop for `service create`: names
/// normalized, each once and sorted; ALL alone in its list; a capability
/// both added and dropped is added.
void effective_caps(const std::vector<std::string>& add,
                    const std::vector<std::string>& drop, pb::ContainerSpec& c);

/// `service create`'s health check (docker's toHealthConfig): test
/// ["CMD-SHELL", cmd], the durations and retries given; ["NONE"] for
/// --no-healthcheck, which conflicts with every --health-* flag
/// (`--no-healthcheck conflicts with --health-* options`); no flag leaves
/// `c` without a healthcheck.
status apply_health_create(const health_flags& f, pb::ContainerSpec& c);

/// `service update`'s (docker's updateHealthcheck): the flags given replace
/// their fields of the current check; --no-healthcheck alone sets ["NONE"];
/// a "NONE" test is dropped when other flags are given; `--health-cmd ""`
/// clears the command. On a bad value `c` is unchanged.
status apply_health_update(const health_flags& f, pb::ContainerSpec& c);

/// True when no --health-* flag (nor --no-healthcheck) was given.
bool health_flags_empty(const health_flags& f);

/// Splits "K=V" into K and V (V empty when there is no '=').
std::pair<std::string, std::string> split_kv(const std::string& kv);

} // namespace actorswarm::cli
