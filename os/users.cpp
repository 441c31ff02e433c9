#include "os/users.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace actorswarm::os {

namespace {

// Supplementary groups beyond this are not looked up (Linux NGROUPS_MAX).
constexpr int groups_max = 65536;

bool numeric(const std::string& x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// getpw*_r wants a buffer; 64 KiB covers any sane entry.
struct pw_entry {
  passwd pw{};
  std::vector<char> buf = std::vector<char>(65536);
  bool found = false;
};

pw_entry lookup_passwd(const std::string& user) {
  pw_entry out;
  passwd* hit = nullptr;
  if (numeric(user))
    getpwuid_r(static_cast<uid_t>(std::strtoul(user.c_str(), nullptr, 10)),
               &out.pw, out.buf.data(), out.buf.size(), &hit);
  else
    getpwnam_r(user.c_str(), &out.pw, out.buf.data(), out.buf.size(), &hit);
  out.found = hit != nullptr;
  return out;
}

result<uint32_t> lookup_group(const std::string& group) {
  if (numeric(group))
    return static_cast<uint32_t>(std::strtoul(group.c_str(), nullptr, 10));
  struct group gr {};
  struct group* hit = nullptr;
  std::vector<char> buf(65536);
  getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &hit);
  if (hit == nullptr)
    return fail(errc::invalid_spec, "unable to find group " + group
                                      + ": no matching entries in group file");
  return static_cast<uint32_t>(gr.gr_gid);
}

std::vector<uint32_t> groups_of(const char* name, gid_t gid) {
  int n = 64;
  std::vector<gid_t> xs(static_cast<size_t>(n));
  // Twice at most: the second call gets the size the first one reported.
  for (int i = 0; i < 2; ++i) {
    if (getgrouplist(name, gid, xs.data(), &n) >= 0) {
      xs.resize(static_cast<size_t>(n));
      return {xs.begin(), xs.end()};
    }
    n = std::min(n, groups_max);
    xs.resize(static_cast<size_t>(n));
  }
  return {static_cast<uint32_t>(gid)};
}

} // namespace

result<resolved_user> resolve_user(const std::string& user,
                                   const std::string& group) {
  resolved_user out;
  auto pw = lookup_passwd(user);
  if (!pw.found && !numeric(user))
    return fail(errc::invalid_spec, "unable to find user " + user
                                      + ": no matching entries in passwd file");
  if (numeric(user))
    out.uid = static_cast<uint32_t>(std::strtoul(user.c_str(), nullptr, 10));
  if (pw.found) {
    out.uid = static_cast<uint32_t>(pw.pw.pw_uid);
    out.gid = static_cast<uint32_t>(pw.pw.pw_gid);
    out.name = pw.pw.pw_name;
    if (pw.pw.pw_dir != nullptr && pw.pw.pw_dir[0] != '\0')
      out.home = pw.pw.pw_dir;
  }
  if (!group.empty()) {
    auto gid = lookup_group(group);
    if (!gid)
      return gid.error();
    out.gid = *gid;
  } else if (pw.found) {
    out.groups = groups_of(pw.pw.pw_name, pw.pw.pw_gid);
  }
  return out;
}

} // namespace actorswarm::os
