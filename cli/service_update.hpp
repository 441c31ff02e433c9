#pragma once

// `service update` flags -> edits of a pb::ServiceSpec read from `service
// inspect`, with docker's semantics: --env-add replaces a variable of the same
// name, --env-rm removes by name, --constraint-add/rm edit the sorted list,
// --args replaces the command's arguments, --cap-add/--cap-drop edit the
// service's capability lists (docker's updateCapabilities), and every other
// flag replaces one field. Pure: no IO.

#include <functional>
#include <string>
#include <vector>

#include "cli/service_spec.hpp"
#include "cli/update_policy.hpp"
#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// Raw flag values as typed; an empty string means "not given".
struct service_update_flags {
  std::string replicas; // uint
  std::string image;
  std::string args;                   // shell words
  std::vector<std::string> env_add;   // K=V
  std::vector<std::string> env_rm;    // K
  std::vector<std::string> label_add; // K=V
  std::vector<std::string> label_rm;  // K
  std::vector<std::string> constraint_add;
  std::vector<std::string> constraint_rm;
  std::vector<std::string> placement_pref_add; // spread=node.labels.X
  std::vector<std::string> placement_pref_rm;
  std::string replicas_max_per_node; // uint
  std::string placement_strategy;    // spread|binpack|random
  std::string limit_cpu;             // decimal, 0 removes
  std::string limit_memory;          // RAMInBytes, 0 removes
  std::string reserve_cpu;
  std::string reserve_memory;
  std::string restart_condition;    // none|on-failure|any
  std::string restart_delay;        // Go duration
  std::string restart_max_attempts; // uint
  std::string restart_window;       // Go duration
  std::string stop_grace_period;    // Go duration
  std::string workdir;
  std::string user;                 // UID[:GID] or NAME[:GROUP]
  std::vector<std::string> cap_add; // capability names, ALL or RESET
  std::vector<std::string> cap_drop;
  std::vector<std::string> network_add; // NAME or name=N,alias=A
  std::vector<std::string> network_rm;  // NAME or id
  std::vector<std::string> publish_add; // as --publish
  std::vector<std::string> publish_rm;  // as --publish: by target port
  std::string endpoint_mode;            // vip|dnsrr
  std::string hostname;
  // --mount-add/--mount-rm (cli/mount_spec.hpp update_mounts).
  std::vector<std::string> mount_add; // as --mount
  std::vector<std::string> mount_rm;  // targets
  bool force = false; ///< update even when nothing changes (redeploys)

  /// `--update-*` and `--rollback-*` (cli/update_policy.hpp).
  update_policy_flags policy;
  health_flags health; // docker's updateHealthcheck
};

/// Turns a network reference (name or id) into the network's id, or fails
/// with the daemon's `network X not found`.
using network_resolver = std::function<result<std::string>(const std::string&)>;

/// Applies the flags to `spec` in place. On a bad value returns one line in
/// pflag's wording (`invalid argument "x" for "--replicas" flag: ...`) and
/// leaves `spec` partly edited: callers validate on a scratch copy first.
/// --network-add/--network-rm references go through `resolve` (docker's
/// updateNetworks compares ids); without one they are taken as ids.
status apply_service_update(const service_update_flags& f,
                            pb::ServiceSpec& spec,
                            const network_resolver& resolve = {});

/// True when no flag that changes the spec was given.
bool update_is_empty(const service_update_flags& f);

/// Splits `text` into words as a POSIX shell does for quoting: blanks
/// separate, '...' and "..." group, backslash escapes. Unterminated quotes
/// fail with `invalid command line string`.
result<std::vector<std::string>> split_shell_words(const std::string& text);

} // namespace actorswarm::cli
