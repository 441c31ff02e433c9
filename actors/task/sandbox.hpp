#pragma once

// The rest of a networked task's sandbox, set up by its start gate (or the
// forked child) after it entered the task's network namespace: its own UTS
// namespace with the task's hostname, and its own mount namespace in which
// /etc/resolv.conf is the task's file (naming the embedded DNS, 127.0.0.11).
// Plain libc system calls only: async-signal-safe, usable between fork and
// exec and in actorswarm-gate.

#include <cerrno>
#include <cstring>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

namespace actorswarm::task {

/// Unshares what is asked (a UTS namespace for a non-empty `hostname`, a
/// mount namespace for a non-empty `resolv_conf`), sets the hostname and
/// binds `resolv_conf` onto /etc/resolv.conf; the mount namespace is made a
/// slave first, so nothing mounted in it reaches the host and unmounts of
/// the host (a task namespace's pin going) still reach it. Returns 0, or the
/// errno of the first failing step.
inline int enter_sandbox(const char* hostname, const char* resolv_conf) {
  bool uts = hostname != nullptr && *hostname != '\0';
  bool mnt = resolv_conf != nullptr && *resolv_conf != '\0';
  int flags = (uts ? CLONE_NEWUTS : 0) | (mnt ? CLONE_NEWNS : 0);
  if (flags == 0)
    return 0;
  if (unshare(flags) != 0)
    return errno;
  if (mnt) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
      return errno;
    if (mount(resolv_conf, "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0)
      return errno;
  }
  if (uts && sethostname(hostname, std::strlen(hostname)) != 0)
    return errno;
  return 0;
}

} // namespace actorswarm::task
