#pragma once

// Binding the control socket (DESIGN.md, Control channel): a Unix socket
// whose file mode 0660 and group authenticate the caller, as with dockerd's
// socket and its `--group`. Kept apart from control_server so the checks on
// the path and the group are tested without an actor system.

#include <sys/types.h>

#include <string>

#include "messages/result.hpp"

namespace actorswarm::net {

/// The group the daemon gives its socket when `--group` is not set, if it
/// exists (dockerd's is `docker`); otherwise the daemon's own group (root's
/// group 0 for a daemon run as root).
constexpr const char* default_socket_group = "actorswarm";

/// Resolves `--group NAME` (a group name, or a numeric gid as dockerd
/// accepts) with getgrnam. Empty `name`: default_socket_group if it exists,
/// else the daemon's own gid. An unknown named group fails with one line.
result<gid_t> resolve_socket_group(const std::string& name);

/// The checks of listen_control_socket without its effects: fails when
/// `path` is empty or too long, exists and is not a socket, or is served by
/// another daemon. The daemon runs it before it opens anything else.
status check_control_path(const std::string& path);

/// Binds and listens on the Unix socket at `path`, mode 0660, group `group`;
/// returns the listening fd (close-on-exec). Refuses, changing nothing, when
/// another daemon serves `path` or when `path` exists and is not a socket
/// (a regular file, directory or symlink is never deleted). A socket file
/// nobody listens on (left by a dead daemon) is replaced.
result<int> listen_control_socket(const std::string& path, gid_t group);

} // namespace actorswarm::net
