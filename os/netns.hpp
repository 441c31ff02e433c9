#pragma once

// Network namespaces the data plane creates, pinned by bind mounts in a
// directory of its own (`<data-dir>/netns/`, never /run/netns), so that a
// restarted daemon finds them, and "run this inside namespace X" done safely.
//
// setns(CLONE_NEWNET) and unshare(CLONE_NEWNET) change the namespace of the
// calling THREAD only. Everything here that enters a namespace does so on the
// calling thread for the length of one call and switches back before it
// returns; if switching back fails the process stops (AS_FAIL_STOP): a
// thread left in a task's namespace would run later work (an actor's next
// message) in the wrong place. So any thread may call these, one call at a
// time, and a CAF worker thread is back in its own namespace when the call
// returns. Sockets keep the namespace they were created in, which is how the
// rest of the data plane (os/netlink.hpp, the DNS sockets) works inside a
// namespace without the thread staying there.
//
// The directory is made a shared mount point, as `ip netns` does with
// /run/netns, so that unmounting a namespace here also unmounts the copies
// that mount namespaces created later (a task's) hold; otherwise such a copy
// would keep the namespace, and its devices, alive.

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::os {

/// An open network namespace: a file descriptor on its nsfs inode. Holding
/// it keeps the namespace alive. Move-only; closes the fd when destroyed.
class netns {
public:
  // -- constructors, destructors ----------------------------------------------

  netns() = default;

  /// Takes ownership of `fd`, an open nsfs fd of a network namespace.
  explicit netns(int fd) : fd_(fd) {
    // nop
  }

  ~netns();

  netns(netns&& other) noexcept;
  netns& operator=(netns&& other) noexcept;
  netns(const netns&) = delete;
  netns& operator=(const netns&) = delete;

  // -- factories --------------------------------------------------------------

  /// The namespace of the calling thread.
  static result<netns> current();

  /// Opens the namespace pinned at `path` (or any nsfs path such as
  /// /proc/<pid>/ns/net). errc::not_found when `path` is missing or is not a
  /// network namespace (a stale pin file after a reboot).
  static result<netns> open(const std::string& path);

  // -- properties -------------------------------------------------------------

  /// The fd, -1 when empty.
  int fd() const noexcept {
    return fd_;
  }

  bool valid() const noexcept {
    return fd_ >= 0;
  }

  /// The namespace's inode number: equal inodes are the same namespace.
  ino_t inode() const;

  /// A second handle on the same namespace (dup of the fd).
  result<netns> dup() const;

private:
  int fd_ = -1;
};

/// Runs `fn` on the calling thread inside `ns`, then switches the thread back
/// to the namespace it was in. Fails (errc::internal) without running `fn`
/// when `ns` cannot be entered; stops the process when the thread cannot go
/// back. `fn` must not block on other threads that wait for this one, and
/// must not create threads (they would start inside `ns`).
status run_in_netns(const netns& ns, const std::function<void()>& fn);

/// One pinned namespace found in the directory.
struct pinned_netns {
  std::string name;
  /// False for a leftover file that pins nothing (after a reboot, or a crash
  /// between creating the file and mounting onto it): remove() cleans it.
  bool mounted = false;
};

/// The directory where this node's namespaces are pinned. Not thread-safe:
/// one caller at a time (any thread).
class netns_dir {
public:
  /// `path`: `<data-dir>/netns`; created by prepare().
  explicit netns_dir(std::string path);

  const std::string& path() const noexcept {
    return path_;
  }

  /// Creates the directory (and its parents) and makes it a shared mount
  /// point (binding it onto itself first when it is none). Call once before
  /// the others; calling again is harmless.
  status prepare();

  /// Undoes prepare()'s mount point (lazy unmount); the pins under it must
  /// be removed first. A running daemon keeps it, as `ip netns` does, and
  /// so does one stopped (to adopt its pins); `swarm leave` releases it.
  status release();

  /// Creates a new, empty network namespace (only `lo`, down; IPv6 off, as
  /// the overlay is IPv4) pinned as `name` and returns it open.
  /// errc::name_conflict when `name` exists.
  result<netns> create(const std::string& name);

  /// Opens the namespace pinned as `name`; errc::not_found when there is
  /// none (or only a stale file).
  result<netns> open(const std::string& name) const;

  /// Unpins `name` (lazy unmount, unlink). The namespace dies once nothing
  /// else holds it (an open fd, a process inside, a socket); its devices die
  /// with it, asynchronously, so delete what must be gone now first. Removing
  /// a missing name is not an error.
  status remove(const std::string& name);

  /// The names in the directory, sorted.
  result<std::vector<pinned_netns>> list() const;

  /// `path()/name`.
  std::string pin_path(const std::string& name) const;

private:
  std::string path_;
};

} // namespace actorswarm::os
