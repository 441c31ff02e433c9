#pragma once

// A task's -u/--user resolved on the node that runs it, as runc resolves
// Docker's (moby/sys/user GetExecUser): names through this host's passwd and
// group databases (NSS), numbers as they are. Called by the process runtime
// in the daemon, before the spawn (not async-signal-safe).

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::os {

/// The identity a task runs as.
struct resolved_user {
  uint32_t uid = 0;
  uint32_t gid = 0;
  /// Supplementary groups: the user's groups in the group database when the
  /// spec names no group (the primary gid included), else none.
  std::vector<uint32_t> groups;
  /// The passwd entry's home, "/" without one (Docker's default HOME).
  std::string home = "/";
  /// The passwd entry's name, empty without one.
  std::string name;
};

/// Resolves `user` (a name or uid) and `group` (a name, gid, or empty: the
/// user's primary group; 0 for a uid without passwd entry, as in Docker).
/// Fails (errc::invalid_spec) with runc's words: `unable to find user x: no
/// matching entries in passwd file`, `unable to find group x: no matching
/// entries in group file`.
result<resolved_user> resolve_user(const std::string& user,
                                   const std::string& group);

} // namespace actorswarm::os
