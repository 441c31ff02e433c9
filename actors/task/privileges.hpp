#pragma once

// What a task may do as a process, Docker's way (moby oci/caps and
// moby/sys/user): the capability names, Docker's default capability set,
// --cap-add/--cap-drop applied to it, and the syntax of -u/--user. Pure: no
// IO; the control rules check specs with it before anything is stored, the
// process runtime computes the set it gives a task.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::task {

/// Highest capability number with a name (CAP_CHECKPOINT_RESTORE, Linux 5.9).
constexpr int capability_last = 40;

/// Every named capability, bits 0..capability_last.
constexpr uint64_t all_capabilities_mask
  = (uint64_t{1} << (capability_last + 1)) - 1;

/// Docker's default set (moby oci/caps/defaults.go): CHOWN, DAC_OVERRIDE,
/// FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP,
/// NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
constexpr uint64_t default_capabilities_mask = 0xa80425fbull;

/// The kernel's name of capability `bit` ("CAP_CHOWN"); empty when `bit` is
/// outside 0..capability_last.
std::string capability_name(int bit);

/// Docker CLI's NormalizeCapability: trims blanks, upper-cases and adds the
/// CAP_ prefix, except to the magic values ALL and RESET.
std::string normalize_capability(const std::string& x);

/// The capability number for a name with or without CAP_, in any case
/// ("net_admin", "CAP_NET_ADMIN"). Fails with Docker's `unknown capability:
/// "CAP_X"` (errc::invalid_spec); ALL is not a capability here.
result<int> parse_capability(const std::string& x);

/// Docker's TweakCapabilities: with ALL among `add`, every capability except
/// those dropped; with ALL among `drop`, only those added; else the default
/// set without `drop`, plus `add`. Names as parse_capability takes them, or
/// ALL; the first unknown one fails.
result<uint64_t> capability_mask(const std::vector<std::string>& add,
                                 const std::vector<std::string>& drop);

/// The names of the set bits, lowest first ("CAP_CHOWN", ...).
std::vector<std::string> capability_names(uint64_t mask);

/// A parsed -u/--user value. `user` is set; `group` may be empty (the
/// user's primary group). A numeric part is a uid/gid, anything else a name
/// looked up on the node that runs the task.
struct user_spec {
  std::string user;
  std::string group;
};

/// Highest uid or gid a spec may name (runc's range: 0..2^31-1).
constexpr uint64_t id_max = 2147483647;

/// Parses "UID[:GID]" or "NAME[:GROUP]" (parts may mix). A name is 1-256
/// characters of [A-Za-z0-9._-] (a trailing '$' allowed), not starting with
/// '-'; a number is at most id_max. Anything else fails with `invalid user
/// "x": ...` (errc::invalid_spec).
result<user_spec> parse_user(const std::string& x);

/// True if `x` is a non-empty string of digits (a uid or gid, not a name).
bool is_numeric_id(const std::string& x);

} // namespace actorswarm::task
