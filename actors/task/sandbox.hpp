#pragma once

// The rest of a task's sandbox, set up by its start gate (or the forked
// child) after it entered the task's network namespace (if it has one): its
// own UTS namespace with the task's hostname, and its own mount namespace in
// which /etc/resolv.conf is the task's file (naming the embedded DNS,
// 127.0.0.11) and the task's --mount binds are made (actors/task/mounts.hpp
// plans them). Plain libc system calls only: async-signal-safe, usable
// between fork and exec and in actorswarm-gate.

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace actorswarm::task {

/// One bind mount of a task's mount namespace: memory the daemon prepared
/// before the spawn (or the gate's own argument).
struct sandbox_mount {
  const char* source;
  const char* target;
  bool read_only;
};

/// Most mounts a task may have (the start gate keeps them in a fixed table).
constexpr size_t sandbox_mounts_max = 64;

/// Binds `m.source` onto `m.target` (recursively, docker's default) and, for
/// a read-only mount, remounts the top mount read-only keeping the nosuid,
/// nodev and noexec the source has. Returns 0 or the errno.
inline int bind_sandbox_mount(const sandbox_mount& m) {
  if (mount(m.source, m.target, nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return errno;
  if (!m.read_only)
    return 0;
  // statfs, not statvfs: glibc's statvfs may read /proc/mounts (malloc).
  // f_flags holds the mount flags when the kernel sets ST_VALID (0x20).
  constexpr unsigned long flags_valid = 0x20;
  unsigned long keep = 0;
  struct statfs st {};
  if (statfs(m.target, &st) == 0 && (st.f_flags & flags_valid) != 0) {
    if (st.f_flags & ST_NOSUID)
      keep |= MS_NOSUID;
    if (st.f_flags & ST_NODEV)
      keep |= MS_NODEV;
    if (st.f_flags & ST_NOEXEC)
      keep |= MS_NOEXEC;
  }
  if (mount(nullptr, m.target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep,
            nullptr)
      != 0)
    return errno;
  return 0;
}

/// Unshares what is asked (a UTS namespace for a non-empty `hostname`, a
/// mount namespace for a non-empty `resolv_conf` or any mount), sets the
/// hostname, binds `resolv_conf` onto /etc/resolv.conf and makes `mounts`
/// in order; the mount namespace is made a slave first, so nothing mounted
/// in it reaches the host and unmounts of the host (a task namespace's pin
/// going) still reach it. Returns 0, or the errno of the first failing step;
/// `failed_mount` is then the index of the mount that failed, or
/// `mount_count` when another step did.
inline int enter_sandbox(const char* hostname, const char* resolv_conf,
                         const sandbox_mount* mounts, size_t mount_count,
                         size_t& failed_mount) {
  failed_mount = mount_count;
  bool uts = hostname != nullptr && *hostname != '\0';
  bool resolv = resolv_conf != nullptr && *resolv_conf != '\0';
  bool mnt = resolv || mount_count > 0;
  int flags = (uts ? CLONE_NEWUTS : 0) | (mnt ? CLONE_NEWNS : 0);
  if (flags == 0)
    return 0;
  if (unshare(flags) != 0)
    return errno;
  if (mnt && mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    return errno;
  if (resolv
      && mount(resolv_conf, "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0)
    return errno;
  for (size_t i = 0; i < mount_count; ++i) {
    if (int err = bind_sandbox_mount(mounts[i])) {
      failed_mount = i;
      return err;
    }
  }
  if (uts && sethostname(hostname, std::strlen(hostname)) != 0)
    return errno;
  return 0;
}

/// enter_sandbox without mounts.
inline int enter_sandbox(const char* hostname, const char* resolv_conf) {
  size_t failed = 0;
  return enter_sandbox(hostname, resolv_conf, nullptr, 0, failed);
}

} // namespace actorswarm::task
