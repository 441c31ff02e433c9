#pragma once

// The identity a task process takes on just before it execs: user, groups
// and capabilities, applied the way runc does for Docker (bounding set,
// then setgroups/setgid/setuid, then the permitted, effective and
// inheritable sets; ambient cleared; no_new_privs left alone, as Docker
// leaves it by default). Header-only and libc-only, so both the static
// `actorswarm-gate` program and the daemon's fork() fallback use it:
// apply_credentials allocates nothing and makes only async-signal-safe
// system calls (parse_credentials is for the gate, a fresh program).
//
// The result after exec is Docker's: a root task's effective set is the
// bounding set (its caps); a task of another uid has no effective
// capability (no ambient set, as in Docker) and only a file capability or a
// set-uid binary within the bounding set can give it one.

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace actorswarm::os {

/// Largest number of supplementary groups passed on (Linux NGROUPS_MAX).
constexpr size_t groups_max = 65536;

/// What to apply. `groups` points at `group_count` gids the caller owns.
struct credentials {
  /// False: keep the uid, gid and groups the process has.
  bool set_user = false;
  uint32_t uid = 0;
  uint32_t gid = 0;
  const uint32_t* groups = nullptr;
  size_t group_count = 0;
  /// The capability set (bit n = capability n); whatever of it the process
  /// itself does not hold is not given.
  uint64_t caps = 0;
};

/// Which step of apply_credentials failed (0: none).
enum class credentials_step : int32_t { none = 0, user = 4, caps = 5 };

namespace detail {

inline int capget_self(uint64_t& effective, uint64_t& permitted) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0)
    return errno;
  effective = data[0].effective | (uint64_t{data[1].effective} << 32);
  permitted = data[0].permitted | (uint64_t{data[1].permitted} << 32);
  return 0;
}

inline int capset_self(uint64_t caps) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(caps);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(caps >> 32);
  return syscall(SYS_capset, &hdr, data) == 0 ? 0 : errno;
}

// Parses a decimal or (base 16) hex number at `p`, advancing it.
inline bool parse_number(const char*& p, int base, uint64_t& out) {
  bool digit = (*p >= '0' && *p <= '9')
               || (base == 16 && ((*p >= 'a' && *p <= 'f')));
  if (!digit) // strtoull would take blanks and a sign
    return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(p, &end, base);
  if (end == p || errno != 0)
    return false;
  p = end;
  return true;
}

} // namespace detail

/// Applies `c` to the calling process (single-threaded: the gate or a forked
/// child). On failure returns the errno and sets `step`; the process is
/// then in between and must not exec. Raw system calls: glibc's set*id
/// would signal threads a forked child no longer has.
inline int apply_credentials(const credentials& c, credentials_step& step) {
  uint64_t eff = 0;
  uint64_t prm = 0;
  step = credentials_step::caps;
  if (int err = detail::capget_self(eff, prm))
    return err;
  // The bounding set is all an exec can ever gain; dropping needs
  // CAP_SETPCAP. A daemon without it (not root) cannot drop, and its tasks
  // can gain no more than the daemon itself could.
  if ((eff >> CAP_SETPCAP) & 1u) {
    for (unsigned long cap = 0; cap < 64; ++cap)
      if (!((c.caps >> cap) & 1u) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0
          && errno != EINVAL) // EINVAL: beyond the kernel's last capability
        return errno;
  }
  if (c.set_user) {
    step = credentials_step::user;
    if (syscall(SYS_setgroups, c.group_count, c.groups) != 0
        || syscall(SYS_setresgid, c.gid, c.gid, c.gid) != 0
        || syscall(SYS_setresuid, c.uid, c.uid, c.uid) != 0)
      return errno;
    step = credentials_step::caps;
    // A uid other than 0 lost its permitted set at setresuid.
    if (int err = detail::capget_self(eff, prm))
      return err;
  }
  if (int err = detail::capset_self(c.caps & prm))
    return err;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0
      && errno != EINVAL)
    return errno;
  step = credentials_step::none;
  return 0;
}

/// The gate's argument for `c`: "<caps hex>" without a user, else
/// "<caps hex>:<uid>:<gid>:<g1>,<g2>,..." (the group list may be empty).
/// Writes at most `size` bytes (NUL included); returns false if it did not
/// fit.
inline bool format_credentials(const credentials& c, char* buf, size_t size) {
  auto n = std::snprintf(buf, size, "%llx",
                         static_cast<unsigned long long>(c.caps));
  if (n < 0 || static_cast<size_t>(n) >= size)
    return false;
  size_t at = static_cast<size_t>(n);
  auto put = [&](const char* fmt, unsigned long x) {
    auto m = std::snprintf(buf + at, size - at, fmt, x);
    if (m < 0 || static_cast<size_t>(m) >= size - at)
      return false;
    at += static_cast<size_t>(m);
    return true;
  };
  if (!c.set_user)
    return true;
  if (!put(":%lu", c.uid) || !put(":%lu:", c.gid))
    return false;
  for (size_t i = 0; i < c.group_count; ++i)
    if (!put(i == 0 ? "%lu" : ",%lu", c.groups[i]))
      return false;
  return true;
}

/// The gate's side of format_credentials: fills `c`, its groups in
/// `groups` (room for `groups_size`). False on malformed text.
inline bool parse_credentials(const char* text, credentials& c,
                              uint32_t* groups, size_t groups_size) {
  const char* p = text;
  uint64_t x = 0;
  c = credentials{};
  if (!detail::parse_number(p, 16, x))
    return false;
  c.caps = x;
  if (*p == '\0')
    return true;
  c.set_user = true;
  uint64_t uid = 0;
  uint64_t gid = 0;
  if (*p++ != ':' || !detail::parse_number(p, 10, uid) || *p++ != ':'
      || !detail::parse_number(p, 10, gid) || *p++ != ':' || uid > 0xffffffffu
      || gid > 0xffffffffu)
    return false;
  c.uid = static_cast<uint32_t>(uid);
  c.gid = static_cast<uint32_t>(gid);
  c.groups = groups;
  // Bounded by groups_size.
  while (*p != '\0' && c.group_count < groups_size) {
    if (c.group_count > 0 && *p++ != ',')
      return false;
    if (!detail::parse_number(p, 10, x) || x > 0xffffffffu)
      return false;
    groups[c.group_count++] = static_cast<uint32_t>(x);
  }
  return *p == '\0';
}

} // namespace actorswarm::os
