#include "actors/task/cgroups.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace actorswarm::task {

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Writes `text` to a cgroup control file; "" or "<file>: <strerror>".
std::string write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return path + ": " + std::strerror(errno);
  auto n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    return path + ": " + std::strerror(err);
  return "";
}

std::string make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST)
    return "";
  return path + ": " + std::strerror(errno);
}

// Kills every process listed in a group's cgroup.procs (bounded).
void kill_members(const std::string& dir) {
  std::ifstream in(dir + "/cgroup.procs");
  long pid = 0;
  for (int i = 0; i < 100000 && in >> pid; ++i) {
    if (pid > 0)
      ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

} // namespace

int64_t cpu_quota_us(int64_t nano_cpus) {
  if (nano_cpus <= 0)
    return 0;
  auto quota = nano_cpus * cpu_period_us / 1000000000;
  return quota < 1000 ? 1000 : quota;
}

cgroups::cgroups(cgroup_config cfg) : cfg_(std::move(cfg)) {
  if (exists(cfg_.mount + "/cgroup.controllers"))
    version_ = cgroup_version::v2;
  else if (exists(cfg_.mount + "/memory") || exists(cfg_.mount + "/cpu"))
    version_ = cgroup_version::v1;
}

std::vector<std::string> cgroups::root_dirs() const {
  std::vector<std::string> out;
  if (version_ == cgroup_version::v2) {
    out.push_back(cfg_.mount + "/" + cfg_.root);
  } else if (version_ == cgroup_version::v1) {
    for (const char* ctrl : {"memory", "cpu"})
      if (exists(cfg_.mount + "/" + ctrl))
        out.push_back(cfg_.mount + "/" + ctrl + "/" + cfg_.root);
  }
  return out;
}

std::vector<std::string> cgroups::task_dirs(const std::string& id) const {
  auto out = root_dirs();
  for (auto& dir : out)
    dir += "/" + id;
  return out;
}

std::string cgroups::create(const std::string& id,
                            const pb::Resources& limits) {
  bool wants_limits = limits.nano_cpus() > 0 || limits.memory_bytes() > 0;
  // A task without limits needs no group: creating and removing cgroups
  // (v1 memory groups above all) costs milliseconds per task, which made
  // starting a thousand tasks cgroup-bound.
  if (!wants_limits)
    return "";
  if (version_ == cgroup_version::none)
    return "cgroups unavailable on this host: CPU and memory limits are not "
           "enforced";
  std::string err;
  if (version_ == cgroup_version::v2) {
    // Delegate the controllers down to our root, then create the task group.
    // Failing to enable one is reported when its limit is written.
    write_file(cfg_.mount + "/cgroup.subtree_control", "+memory +cpu");
    err = make_dir(cfg_.mount + "/" + cfg_.root);
    if (err.empty())
      write_file(cfg_.mount + "/" + cfg_.root + "/cgroup.subtree_control",
                 "+memory +cpu");
  }
  for (auto& dir : root_dirs())
    if (err.empty())
      err = make_dir(dir);
  auto dirs = task_dirs(id);
  for (auto& dir : dirs)
    if (err.empty())
      err = make_dir(dir);
  if (err.empty() && version_ == cgroup_version::v2) {
    if (limits.memory_bytes() > 0)
      err = write_file(dirs[0] + "/memory.max",
                       std::to_string(limits.memory_bytes()));
    if (err.empty() && limits.nano_cpus() > 0)
      err = write_file(dirs[0] + "/cpu.max",
                       std::to_string(cpu_quota_us(limits.nano_cpus())) + " "
                         + std::to_string(cpu_period_us));
  } else if (err.empty()) {
    for (auto& dir : dirs) {
      bool is_memory = dir.find("/memory/") != std::string::npos;
      if (err.empty() && is_memory && limits.memory_bytes() > 0)
        err = write_file(dir + "/memory.limit_in_bytes",
                         std::to_string(limits.memory_bytes()));
      if (err.empty() && !is_memory && limits.nano_cpus() > 0) {
        err = write_file(dir + "/cpu.cfs_period_us",
                         std::to_string(cpu_period_us));
        if (err.empty())
          err = write_file(dir + "/cpu.cfs_quota_us",
                           std::to_string(cpu_quota_us(limits.nano_cpus())));
      }
    }
  }
  if (err.empty() || !wants_limits)
    return "";
  return "cgroups not usable (" + err
         + "): CPU and memory limits are not enforced";
}

std::string cgroups::join(const std::string& id, pid_t pid) {
  std::string err;
  for (auto& dir : task_dirs(id)) {
    if (!exists(dir))
      continue;
    auto e = write_file(dir + "/cgroup.procs", std::to_string(pid));
    if (err.empty())
      err = e;
  }
  return err;
}

bool cgroups::remove(const std::string& id) {
  bool all_gone = true;
  for (auto& dir : task_dirs(id)) {
    if (!exists(dir))
      continue;
    kill_members(dir);
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
      all_gone = false;
  }
  return all_gone;
}

bool cgroups::remove_root() {
  bool all_gone = true;
  for (auto& dir : root_dirs()) {
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (!e.is_directory(ec))
        continue;
      auto path = e.path().string();
      kill_members(path);
      ::rmdir(path.c_str());
    }
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
      all_gone = false;
  }
  return all_gone;
}

} // namespace actorswarm::task
