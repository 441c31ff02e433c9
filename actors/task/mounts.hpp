#pragma once

// Mounts of `host` tasks (docker's `--mount type=bind|volume`): the rules a
// service's mounts meet before anything is stored (the control rules call
// validate_mounts), and the node's plan for one task (prepare calls
// plan_mounts, then create_volumes): checked on this node's filesystem
// before anything is created for the task. The task process makes the plan's
// bind mounts in a mount namespace of its own (sandbox.hpp), so the host's
// mount table never changes.
//
// Decisions (docker's where it has one):
// - Targets are absolute and cleaned (path.Clean); `/` is refused with
//   docker's text; `/proc`, `/sys`, `/dev` and everything below them too: a
//   host task shares the host's kernel interfaces and devices, and covering
//   them (or a part) would only hide them from the task.
// - The host runtime has no root filesystem of its own: a target must exist
//   on the node (nothing is created on the host), and it must not be the
//   daemon's data dir or inside it (checked on the node, after symlinks).
// - A bind mount is recursive (docker's default, bind-recursive=enabled);
//   `readonly` makes its top mount read-only (nosuid, nodev, noexec of the
//   source kept), as docker before v25.
// - A named volume is `<volumes dir>/<name>/_data` (docker's layout), made on
//   first use and kept across task replacements; anonymous volumes (no
//   source) are refused: a host task has no container to tie one to.
// - Paths with a newline are refused (the start gate gets them on one
//   argument, one per line).

#include <string>
#include <vector>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::task {

/// Docker's path.Clean of a path: one slash between names, no `.`, `..`
/// resolved lexically, no trailing slash ("/srv/./a/../" -> "/srv").
std::string clean_path(const std::string& path);

/// True for `/proc`, `/sys`, `/dev` and every path below them (`path`
/// cleaned). `/` itself is refused on its own, with docker's text.
bool reserved_target(const std::string& path);

/// Checks a spec's mounts and cleans their targets and bind sources in
/// place. At most sandbox_mounts_max (sandbox.hpp). Refusals (invalid_spec)
/// in docker's words, e.g. `invalid mount config for type "bind": invalid
/// mount path: 'srv' mount path must be absolute`, `duplicate mount point:
/// /srv`.
status validate_mounts(google::protobuf::RepeatedPtrField<pb::Mount>& mounts);

/// Where this node's mounts come from and what they must not cover.
struct mount_config {
  /// Parent of the named volumes (`<data-dir>/volumes`); empty: named
  /// volumes are refused on this node.
  std::string volumes_dir;
  /// Directories no target may be or be inside: the daemon's data dir (and
  /// the tasks and volumes dirs when they live elsewhere).
  std::vector<std::string> protected_dirs;
};

/// One mount of a task as the node makes it.
struct planned_mount {
  std::string source; ///< the host path, or the volume's _data directory
  std::string target; ///< cleaned, as the task sees it
  bool read_only = false;
  bool volume = false; ///< source is a named volume's directory (created)
};

/// The task's mounts on this node, parents before children (by target
/// depth, as docker sorts them), after checking each against the node's
/// filesystem: a bind source exists (`invalid mount config for type "bind":
/// bind source path does not exist: /x`), a target exists and fits the
/// source (a directory for a directory), and no target is or is inside a
/// protected dir, symlinks resolved. Creates nothing.
result<std::vector<planned_mount>> plan_mounts(const pb::ContainerSpec& c,
                                               const mount_config& cfg);

/// Creates the named volumes' directories of `plan` (parents too);
/// those that exist are kept with their content.
status create_volumes(const std::vector<planned_mount>& plan);

/// `<volumes_dir>/<name>/_data`.
std::string volume_data_dir(const std::string& volumes_dir,
                            const std::string& name);

} // namespace actorswarm::task
