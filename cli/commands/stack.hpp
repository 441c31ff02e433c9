#pragma once

// `actorswarm stack ...` (docker/cli cli/command/stack): what stack.cpp
// (ls, ps, services, rm) and stack_deploy.cpp share. A stack is the set of
// services and networks labelled com.docker.stack.namespace=<stack>; the
// daemon lists all, the CLI keeps the stack's (docker asks the daemon to
// filter by label).

#include <optional>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"

namespace actorswarm::cli {

/// `stack deploy` flag values.
struct stack_deploy_opts {
  std::vector<std::string> files; ///< -c, --compose-file (repeatable)
  bool prune = false;
  std::string resolve_image = "always"; ///< always|changed|never
  bool detach = true;
  bool quiet = false;
  std::vector<std::string> names; ///< STACK
};

/// `stack deploy`; `detach_given` when -d/--detach was on the command line.
int stack_deploy(invocation& inv, const CLI::App* app,
                 const stack_deploy_opts& o, bool detach_given);

/// docker's validateStackName: `invalid stack name: "  "` when nothing but
/// blanks and quotes; nullopt when valid.
std::optional<std::string> bad_stack_name(const std::string& name);

/// The stack's services (as `service ls` lists them), sorted by name;
/// nullopt after printing the error.
std::optional<std::vector<pb::ServiceEntry>>
stack_services(invocation& inv, const std::string& stack);

/// The stack's networks; nullopt after printing the error. `all`, when
/// given, receives every network of the swarm.
std::optional<std::vector<pb::Network>>
stack_networks(invocation& inv, const std::string& stack,
               std::vector<pb::Network>* all = nullptr);

/// Removes `xs` one by one (`Removing service web_x`); a failure is
/// printed (`Failed to remove service ID: ...`) and the rest go on.
/// Returns true when one failed.
bool remove_stack_services(invocation& inv,
                           const std::vector<pb::ServiceEntry>& xs);

} // namespace actorswarm::cli
