// Issue #9, defect 6: task output cannot fill the disk. A `host yes` task on
// a small filesystem the test mounts (tmpfs, root only) runs until it has
// written more than the filesystem holds; free space stays, the daemon keeps
// answering and taking writes. And a task's logs go when it leaves the task
// history (`swarm update --task-history-limit`) or its service is removed.

#include <catch2/catch.hpp>

#include "cluster_fixture.hpp"
#include "support/tmpfs_mount.hpp"

#include <filesystem>
#include <optional>
#include <poll.h>
#include <set>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

std::set<std::string> task_dirs(const std::string& data_dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator i(data_dir + "/tasks", ec), end; !ec && i != end;
       i.increment(ec))
    if (i->is_directory(ec))
      out.insert(i->path().filename().string());
  return out;
}

// Rotations of the task's log (renames to output.log.1), waited for with
// inotify; returns those seen within `timeout_ms`.
int wait_rotations(int inotify_fd, int timeout_ms) {
  pollfd p{inotify_fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1)
    return 0;
  alignas(inotify_event) char buf[4096];
  int n_rot = 0;
  for (int i = 0; i < 64; ++i) {
    auto n = ::read(inotify_fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    for (ssize_t off = 0; off < n;) {
      auto* ev = reinterpret_cast<inotify_event*>(buf + off);
      if (ev->len > 0 && std::string(ev->name) == "output.log.1")
        ++n_rot;
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
  return n_rot;
}

} // namespace

TEST_CASE("cluster: a host yes task on a small filesystem never fills it, "
          "the daemon keeps working",
          "[cluster]") {
  if (::geteuid() != 0)
    SUCCEED("needs root to mount a tmpfs");
  if (::geteuid() != 0)
    return;
  constexpr int fs_mib = 64;
  // Declared before the fixture, so it outlives the daemon; the fixture
  // cannot remove its dir while the tmpfs is on it, so the mount does.
  std::optional<tmpfs_mount> disk;
  cluster_fixture f;
  disk.emplace(f.data_dir(), std::to_string(fs_mib) + "m",
               fs::path(f.data_dir()).parent_path().string());
  REQUIRE(disk->mounted());
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(
    f.cli({"service", "create", "-d", "--name", "y", "host", "yes"}).exit_code
    == 0);
  std::string task_id;
  REQUIRE(eventually([&] {
    auto dirs = task_dirs(f.data_dir());
    task_id = dirs.empty() ? "" : *dirs.begin();
    return !task_id.empty();
  }));
  int ino = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  REQUIRE(ino >= 0);
  auto task_dir = f.data_dir() + "/tasks/" + task_id;
  REQUIRE(::inotify_add_watch(ino, task_dir.c_str(), IN_MOVED_TO) >= 0);
  // Each rotation is 10 MiB written: 10 of them are more than the whole
  // filesystem (before the fix it was full in under a second).
  uint64_t least_free = free_bytes(f.data_dir());
  int rotations = 0;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (rotations < 10 && std::chrono::steady_clock::now() < deadline) {
    rotations += wait_rotations(ino, 500);
    least_free = std::min(least_free, free_bytes(f.data_dir()));
  }
  ::close(ino);
  INFO("rotations=" << rotations << " least_free=" << least_free);
  CHECK(rotations >= 10);
  // Two 10 MiB files per task, plus the daemon's own state.
  CHECK(least_free > 16ull * 1024 * 1024);
  auto logs = f.cli({"service", "logs", "--tail", "2", "y"});
  INFO(logs.out << logs.err);
  CHECK(logs.exit_code == 0);
  auto lines = lines_of(logs.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].substr(lines[1].size() - 1) == "y");
  // The daemon still takes writes.
  CHECK(f.cli({"service", "rm", "y"}).exit_code == 0);
  CHECK(f.wait_task_count(0) == 0);
  CHECK(eventually([&] { return task_dirs(f.data_dir()).empty(); }, 15s));
}

TEST_CASE("cluster: a task's logs are removed when it leaves the task "
          "history, all of them when its service is removed",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"swarm", "update", "--task-history-limit", "1"}).exit_code
          == 0);
  REQUIRE(f.cli({"service", "create", "-d", "--name", "flap", "--restart-delay",
                 "50ms", "host", "sh", "-c", "echo out; exit 1"})
            .exit_code
          == 0);
  // Tasks fail and are replaced; the reaper keeps one old task per slot
  // (plus the current one), and their directories go with them.
  std::set<std::string> ever;
  size_t now = 0;
  auto reaped = [&] {
    auto dirs = task_dirs(f.data_dir());
    ever.insert(dirs.begin(), dirs.end());
    now = dirs.size();
    return ever.size() >= 6 && now <= 3;
  };
  CHECK(eventually(reaped, 30s, 20ms));
  INFO("dirs ever=" << ever.size() << " now=" << now);
  CHECK(ever.size() >= 6);
  CHECK(now <= 3);
  REQUIRE(f.cli({"service", "rm", "flap"}).exit_code == 0);
  CHECK(eventually([&] { return task_dirs(f.data_dir()).empty(); }, 15s));
}
