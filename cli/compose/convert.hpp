#pragma once

// A loaded compose config -> the specs `stack deploy` sends (docker/cli
// cli/compose/convert): services named `<stack>_<service>`, networks
// `<stack>_<network>` (the stack's `default` network for services naming
// none), named volumes `<stack>_<volume>` unless `name:` or `external`
// says otherwise, every object labelled com.docker.stack.namespace=<stack>
// and every service com.docker.stack.image=<image>.
//
// The host runtime has no image, so no image entrypoint: the task's argv is
// `entrypoint` followed by `command` (either may be missing, not both).
// Defaults are `service create`'s (replicas 1, restart condition any with
// delay 5s, stop grace period 10s; docker's update_config defaults when an
// update_config is given). Pure: no IO.

#include <string>
#include <vector>

#include "cli/compose/compose.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::cli::compose {

/// docker's stack labels.
inline constexpr const char* label_namespace = "com.docker.stack.namespace";
inline constexpr const char* label_image = "com.docker.stack.image";

/// What a stack deploy creates or checks.
struct stack_objects {
  /// Networks the stack's services use that the stack creates, by name.
  std::vector<pb::NetworkSpec> networks;
  /// Networks declared external (they must exist), by name.
  std::vector<std::string> external_networks;
  /// One spec per service, sorted by name.
  std::vector<pb::ServiceSpec> services;
};

/// `<stack>_<name>`.
std::string scope(const std::string& stack, const std::string& name);

/// Converts `c` for stack `stack`. Fails with `<where>: service web: ...`
/// (docker's `undefined network "x"`, `undefined volume "x"`, `invalid
/// image reference for service web: no image specified`, an image other
/// than `host`, a service without a command) before anything is sent.
result<stack_objects> convert(const config& c, const std::string& stack);

} // namespace actorswarm::cli::compose
