#include "actors/task/mounts.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "actors/task/sandbox.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::task {

namespace {

const char* type_name(pb::Mount::Type t) {
  return t == pb::Mount::VOLUME ? "volume" : "bind";
}

failure invalid(const pb::Mount& m, const std::string& err) {
  return fail(errc::invalid_spec,
              docker_text::invalid_mount_config(type_name(m.type()), err));
}

bool bad_path_char(const std::string& x) {
  return x.find('\n') != std::string::npos || x.find('\0') != std::string::npos;
}

// True if `path` is `dir` or below it (both cleaned and absolute).
bool within(const std::string& path, const std::string& dir) {
  if (dir == "/")
    return true;
  return path == dir
         || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0
             && path[dir.size()] == '/');
}

size_t depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

// realpath(3): the path with every symlink resolved; "" with errno set.
std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr)
    return {};
  return buf;
}

status check_target(const pb::Mount& m, const std::string& target,
                    bool source_is_dir, const mount_config& cfg) {
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return invalid(m, "mount target does not exist on this node: " + target
                          + " (the host runtime mounts onto an existing "
                            "path; create it first)");
    return invalid(m, "mount target " + target + ": " + std::strerror(errno));
  }
  if (source_is_dir != S_ISDIR(st.st_mode))
    return invalid(m,
                   "mount target " + target
                     + (source_is_dir ? " is not a directory"
                                      : " is a directory, the source is not"));
  auto real = real_path(target);
  if (real.empty())
    return invalid(m, "mount target " + target + ": " + std::strerror(errno));
  if (real == "/")
    return invalid(m, docker_text::mount_target_is_root());
  if (reserved_target(real))
    return invalid(m, "invalid specification: destination can't be '" + real
                        + "' (/proc, /sys and /dev are the host's)");
  for (const auto& dir : cfg.protected_dirs) {
    if (dir.empty())
      continue;
    auto real_dir = real_path(dir);
    if (real_dir.empty())
      real_dir = clean_path(dir);
    if (within(real, real_dir))
      return invalid(m, "mount target " + target
                          + " is in the daemon's data dir " + real_dir);
  }
  return ok_status();
}

} // namespace

std::string clean_path(const std::string& path) {
  if (path.empty())
    return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  size_t pos = 0;
  // One pass over the path's names: bounded by its length.
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto end = slash == std::string::npos ? path.size() : slash;
    auto name = path.substr(pos, end - pos);
    if (name == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(name);
    } else if (!name.empty() && name != ".") {
      parts.push_back(std::move(name));
    }
    if (slash == std::string::npos)
      break;
    pos = slash + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? "" : "/") + parts[i];
  return out.empty() ? "." : out;
}

bool reserved_target(const std::string& path) {
  for (const char* dir : {"/proc", "/sys", "/dev"})
    if (within(path, dir))
      return true;
  return false;
}

status validate_mounts(google::protobuf::RepeatedPtrField<pb::Mount>& mounts) {
  if (static_cast<size_t>(mounts.size()) > sandbox_mounts_max)
    return fail(errc::invalid_spec,
                "too many mounts: " + std::to_string(mounts.size())
                  + " (a task of the host runtime may have "
                  + std::to_string(sandbox_mounts_max) + ")");
  std::set<std::string> targets;
  for (auto& m : mounts) {
    if (m.type() != pb::Mount::BIND && m.type() != pb::Mount::VOLUME)
      return invalid(m, "mount type unknown");
    if (m.target().empty())
      return invalid(m, docker_text::mount_field_empty("Target"));
    if (bad_path_char(m.target()) || bad_path_char(m.source()))
      return invalid(m, "mount paths must not contain a newline");
    if (clean_path(m.target()) == "/")
      return invalid(m, docker_text::mount_target_is_root());
    if (m.target()[0] != '/')
      return invalid(m, docker_text::mount_path_not_absolute(m.target()));
    m.set_target(clean_path(m.target()));
    if (reserved_target(m.target()))
      return invalid(m, "invalid specification: destination can't be '"
                          + m.target()
                          + "' (/proc, /sys and /dev are the "
                            "host's)");
    if (m.type() == pb::Mount::BIND) {
      if (m.source().empty())
        return invalid(m, docker_text::mount_field_empty("Source"));
      if (m.source()[0] != '/')
        return invalid(m, docker_text::mount_path_not_absolute(m.source()));
      m.set_source(clean_path(m.source()));
    } else {
      if (m.source().empty())
        return invalid(m, "a volume needs a name (source=NAME): the host "
                          "runtime has no anonymous volumes");
      if (auto err = docker_text::invalid_volume_name(m.source()); !err.empty())
        return fail(errc::invalid_spec, err);
    }
    if (!targets.insert(m.target()).second)
      return fail(errc::invalid_spec,
                  docker_text::duplicate_mount_point(m.target()));
  }
  return ok_status();
}

std::string volume_data_dir(const std::string& volumes_dir,
                            const std::string& name) {
  return volumes_dir + "/" + name + "/_data";
}

result<std::vector<planned_mount>> plan_mounts(const pb::ContainerSpec& c,
                                               const mount_config& cfg) {
  // The stored spec passed validate_mounts; a copy is checked again so a
  // spec from an older manager cannot reach the task's mount calls.
  auto mounts = c.mounts();
  if (auto st = validate_mounts(mounts); !st)
    return st.error();
  std::vector<planned_mount> plan;
  for (const auto& m : mounts) {
    planned_mount p;
    p.target = m.target();
    p.read_only = m.read_only();
    bool source_is_dir = true;
    if (m.type() == pb::Mount::BIND) {
      struct stat st {};
      if (::stat(m.source().c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
          return invalid(m, docker_text::bind_source_missing(m.source()));
        return invalid(m, "bind source " + m.source() + ": "
                            + std::strerror(errno));
      }
      source_is_dir = S_ISDIR(st.st_mode);
      p.source = m.source();
    } else {
      if (cfg.volumes_dir.empty())
        return invalid(m, "this node keeps no named volumes (no data dir)");
      p.source = volume_data_dir(cfg.volumes_dir, m.source());
      p.volume = true;
    }
    if (auto st = check_target(m, p.target, source_is_dir, cfg); !st)
      return st.error();
    plan.push_back(std::move(p));
  }
  std::stable_sort(plan.begin(), plan.end(), [](const auto& a, const auto& b) {
    return depth(a.target) < depth(b.target);
  });
  return plan;
}

status create_volumes(const std::vector<planned_mount>& plan) {
  for (const auto& p : plan) {
    if (!p.volume)
      continue;
    std::error_code ec;
    std::filesystem::create_directories(p.source, ec);
    if (ec)
      return fail(errc::internal,
                  "task: create volume " + p.source + ": " + ec.message());
  }
  return ok_status();
}

} // namespace actorswarm::task
