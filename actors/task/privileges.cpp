#include "actors/task/privileges.hpp"

#include <algorithm>
#include <cctype>

namespace actorswarm::task {

namespace {

// Linux's numbering (include/uapi/linux/capability.h), index = bit.
constexpr const char* names[capability_last + 1] = {"CHOWN",
                                                    "DAC_OVERRIDE",
                                                    "DAC_READ_SEARCH",
                                                    "FOWNER",
                                                    "FSETID",
                                                    "KILL",
                                                    "SETGID",
                                                    "SETUID",
                                                    "SETPCAP",
                                                    "LINUX_IMMUTABLE",
                                                    "NET_BIND_SERVICE",
                                                    "NET_BROADCAST",
                                                    "NET_ADMIN",
                                                    "NET_RAW",
                                                    "IPC_LOCK",
                                                    "IPC_OWNER",
                                                    "SYS_MODULE",
                                                    "SYS_RAWIO",
                                                    "SYS_CHROOT",
                                                    "SYS_PTRACE",
                                                    "SYS_PACCT",
                                                    "SYS_ADMIN",
                                                    "SYS_BOOT",
                                                    "SYS_NICE",
                                                    "SYS_RESOURCE",
                                                    "SYS_TIME",
                                                    "SYS_TTY_CONFIG",
                                                    "MKNOD",
                                                    "LEASE",
                                                    "AUDIT_WRITE",
                                                    "AUDIT_CONTROL",
                                                    "SETFCAP",
                                                    "MAC_OVERRIDE",
                                                    "MAC_ADMIN",
                                                    "SYSLOG",
                                                    "WAKE_ALARM",
                                                    "BLOCK_SUSPEND",
                                                    "AUDIT_READ",
                                                    "PERFMON",
                                                    "BPF",
                                                    "CHECKPOINT_RESTORE"};

constexpr const char* all_caps = "ALL";
constexpr size_t name_size_max = 256;

bool contains(const std::vector<std::string>& xs, const char* x) {
  return std::any_of(xs.begin(), xs.end(), [x](const std::string& y) {
    return normalize_capability(y) == x;
  });
}

// The mask of `xs` without ALL; the first unknown name fails.
result<uint64_t> mask_of(const std::vector<std::string>& xs) {
  uint64_t out = 0;
  for (const auto& x : xs) {
    if (normalize_capability(x) == all_caps)
      continue;
    auto bit = parse_capability(x);
    if (!bit)
      return bit.error();
    out |= uint64_t{1} << *bit;
  }
  return out;
}

status bad_user(const std::string& x, const std::string& why) {
  return fail(errc::invalid_spec, "invalid user \"" + x + "\": " + why);
}

// One part of a user spec: a number in range or a well-formed name.
status check_part(const std::string& spec, const std::string& part) {
  if (part.empty())
    return bad_user(spec, "the format is UID[:GID] or NAME[:GROUP]");
  if (is_numeric_id(part)) {
    if (part.size() > 10 || std::stoull(part) > id_max)
      return bad_user(spec, "uids and gids must be in range 0-2147483647");
    return ok_status();
  }
  auto ok_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_'
           || c == '-';
  };
  auto body_end = part.back() == '$' ? part.end() - 1 : part.end();
  if (part.size() > name_size_max || part.front() == '-'
      || body_end == part.begin()
      || !std::all_of(part.begin(), body_end, ok_char))
    return bad_user(spec, "a name may hold only [A-Za-z0-9._-], up to 256 "
                          "characters, not starting with '-'");
  return ok_status();
}

} // namespace

std::string capability_name(int bit) {
  if (bit < 0 || bit > capability_last)
    return {};
  return std::string{"CAP_"} + names[bit];
}

std::string normalize_capability(const std::string& x) {
  auto lo = x.find_first_not_of(" \t\n\r");
  auto hi = x.find_last_not_of(" \t\n\r");
  std::string out = lo == std::string::npos ? "" : x.substr(lo, hi - lo + 1);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out == all_caps || out == "RESET" || out.rfind("CAP_", 0) == 0)
    return out;
  return "CAP_" + out;
}

result<int> parse_capability(const std::string& x) {
  auto name = normalize_capability(x);
  for (int bit = 0; bit <= capability_last; ++bit)
    if (name == capability_name(bit))
      return bit;
  return fail(errc::invalid_spec, "unknown capability: \"" + name + "\"");
}

result<uint64_t> capability_mask(const std::vector<std::string>& add,
                                 const std::vector<std::string>& drop) {
  auto added = mask_of(add);
  if (!added)
    return added;
  auto dropped = mask_of(drop);
  if (!dropped)
    return dropped;
  if (contains(add, all_caps))
    return all_capabilities_mask & ~*dropped;
  if (contains(drop, all_caps))
    return *added;
  return (default_capabilities_mask & ~*dropped) | *added;
}

std::vector<std::string> capability_names(uint64_t mask) {
  std::vector<std::string> out;
  for (int bit = 0; bit <= capability_last; ++bit)
    if ((mask >> bit) & 1u)
      out.push_back(capability_name(bit));
  return out;
}

bool is_numeric_id(const std::string& x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

result<user_spec> parse_user(const std::string& x) {
  auto colon = x.find(':');
  user_spec out;
  out.user = x.substr(0, colon);
  if (auto st = check_part(x, out.user); !st)
    return st.error();
  if (colon == std::string::npos)
    return out;
  out.group = x.substr(colon + 1);
  if (out.group.find(':') != std::string::npos)
    return bad_user(x, "the format is UID[:GID] or NAME[:GROUP]").error();
  if (auto st = check_part(x, out.group); !st)
    return st.error();
  return out;
}

} // namespace actorswarm::task
