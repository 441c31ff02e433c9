// Cluster: damaged and full disks (issue #9, defect 5). A corrupt record in
// a stopped daemon's write-ahead log refuses the start with one line and
// exit code 3, changing nothing; a full disk refuses writes with a clear
// error while reads, tasks and the daemon go on, and writes succeed again
// once there is space.

#include "cluster/cluster_fixture.hpp"
#include "cluster/manager_set.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "persistence/startup_error.hpp"
#include "support/temp_dir.hpp"
#include "support/tmpfs_mount.hpp"

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

// Every file of `dir` with its bytes, but the lock file (it holds the pid
// of the last daemon that tried).
std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& de : fs::recursive_directory_iterator(dir))
    if (de.is_regular_file() && de.path().filename() != "daemon.lock")
      out[de.path().string()] = read_all(de.path().string());
  return out;
}

// The write-ahead log of the data dir's database (db/*.log) that holds
// `needle`, or "".
std::string wal_holding(const std::string& data_dir,
                        const std::string& needle) {
  for (auto& de : fs::directory_iterator(data_dir + "/db"))
    if (de.path().extension() == ".log"
        && read_all(de.path().string()).find(needle) != std::string::npos)
      return de.path().string();
  return "";
}

// Fills the filesystem of `path` with the file `path`: writes until the
// disk refuses (bounded by `max_mib`). Returns the bytes written.
size_t fill_disk(const std::string& path, size_t max_mib) {
  std::string chunk(64 * 1024, 'f');
  size_t written = 0;
  auto* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr)
    return 0;
  std::setvbuf(f, nullptr, _IONBF, 0);
  for (size_t i = 0; i < max_mib * 16; ++i) {
    auto n = std::fwrite(chunk.data(), 1, chunk.size(), f);
    written += n;
    if (n < chunk.size())
      break;
  }
  // The last partial page too: byte by byte, bounded.
  for (int i = 0; i < 4096 && std::fputc('f', f) != EOF; ++i)
    ++written;
  std::fclose(f);
  return written;
}

} // namespace

TEST_CASE("cluster: a flipped byte in the middle of a stopped daemon's "
          "write-ahead log refuses the start with one line and exit code 3, "
          "and changes nothing",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  for (auto name : {"before-a", "marker-in-the-middle", "after-b", "after-c"})
    REQUIRE(f.cli({"service", "create", "--name", name, "--replicas", "0",
                   "host", "sleep", "3600"})
              .exit_code
            == 0);
  REQUIRE(f.stop_daemon(SIGTERM));
  // start: one byte of a synced record flips (a service name in an entry)
  auto wal = wal_holding(f.data_dir(), "marker-in-the-middle");
  REQUIRE_FALSE(wal.empty());
  auto bytes = read_all(wal);
  auto at = bytes.find("marker-in-the-middle");
  bytes[at + 2] = static_cast<char>(bytes[at + 2] ^ 0x01);
  {
    std::ofstream out{wal, std::ios::binary | std::ios::trunc};
    out << bytes;
  }
  auto before = files_of(f.data_dir());
  auto r = f.run_daemon_until_exit(f.data_dir(), f.socket_path(), 20s);
  // check: exit code 3, one clear line naming the data dir, no abort
  INFO(r.err);
  CHECK(r.exit_code == actorswarm::persistence::data_dir_corrupt_exit);
  auto line = "Error: data dir " + f.data_dir() + " is corrupt: ";
  CHECK(r.err.find(line) != std::string::npos);
  // ... naming the damaged file
  CHECK(r.err.find(line + wal) != std::string::npos);
  CHECK(r.err.find("assertion") == std::string::npos);
  CHECK(r.err.find("fatal") == std::string::npos);
  // check: the data dir is as it was
  CHECK(files_of(f.data_dir()) == before);
}

TEST_CASE("cluster: snapshots that all fail their checksum refuse the "
          "start with one line and exit code 3",
          "[cluster]") {
  cluster_fixture f;
  f.set_daemon_flags({"--snapshot-interval", "3"});
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  for (int i = 0; i < 8; ++i)
    REQUIRE(f.cli({"service", "create", "--name", "s" + std::to_string(i),
                   "--replicas", "0", "host", "sleep", "3600"})
              .exit_code
            == 0);
  REQUIRE(f.stop_daemon(SIGTERM));
  // start: every snapshot file gets a flipped byte
  size_t damaged = 0;
  for (auto& de : fs::directory_iterator(f.data_dir() + "/snapshots")) {
    auto bytes = read_all(de.path().string());
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
    std::ofstream out{de.path().string(), std::ios::binary | std::ios::trunc};
    out << bytes;
    ++damaged;
  }
  REQUIRE(damaged > 0);
  auto before = files_of(f.data_dir() + "/snapshots");
  auto r = f.run_daemon_until_exit(f.data_dir(), f.socket_path(), 20s);
  // check: exit code 3, the clear line, no abort, the snapshots as they
  // were (RocksDB itself opened, so its dir has a new MANIFEST)
  INFO(r.err);
  CHECK(r.exit_code == actorswarm::persistence::data_dir_corrupt_exit);
  CHECK(r.err.find("Error: data dir " + f.data_dir() + " is corrupt: ")
        != std::string::npos);
  CHECK(r.err.find("fatal") == std::string::npos);
  CHECK(files_of(f.data_dir() + "/snapshots") == before);
}

TEST_CASE("cluster: on a full disk a write is refused with a clear error "
          "while reads, tasks and the daemon go on, and writes succeed "
          "again once there is space",
          "[cluster]") {
  cluster_fixture f;
  tmpfs_mount disk{f.data_dir(), "48m"};
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root)");
    return;
  }
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"service", "create", "--name", "web", "--replicas", "1",
                 "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_task_count(1) == 1);
  auto task = f.task_pids();
  // start: the disk fills up
  auto filler = f.data_dir() + "/filler";
  REQUIRE(fill_disk(filler, 64) > 0);
  // check: the write is refused with the clear error, nothing changes (the
  // label makes the entry larger than the free rest of the log's last page)
  auto big = "big=" + std::string(16 * 1024, 'x');
  auto r = f.cli({"service", "create", "--name", "refused", "--label", big,
                  "host", "sleep", "3600"});
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("no space left on device in " + f.data_dir()
                   + ": the write was refused")
        != std::string::npos);
  // check: reads, the task and the daemon go on; a second write is refused
  auto ls = f.cli({"service", "ls"});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.find("web") != std::string::npos);
  CHECK(ls.out.find("refused") == std::string::npos);
  CHECK(f.task_pids() == task);
  CHECK(process_alive(f.daemon_pid()));
  auto again = f.cli({"service", "create", "--name", "refused-too", "--label",
                      big, "host", "sleep", "3600"});
  CHECK(again.exit_code != 0);
  CHECK(again.err.find("no space left on device") != std::string::npos);
  CHECK(process_alive(f.daemon_pid()));
  // start: space is back
  REQUIRE(::unlink(filler.c_str()) == 0);
  // check: a write succeeds again without a restart (the first tries may
  // come before the raft peer's next write attempt)
  auto created = [&] {
    return f.cli({"service", "create", "--name", "after", "--replicas", "0",
                  "host", "sleep", "3600"})
             .exit_code
           == 0;
  };
  CHECK(eventually(created, 20s, 200ms));
  CHECK(f.cli({"service", "ls"}).out.find("after") != std::string::npos);
  CHECK(process_alive(f.daemon_pid()));
  CHECK(f.stop_daemon(SIGTERM));
}

TEST_CASE("cluster: a daemon restarted on a full disk that RocksDB cannot "
          "open on exits with one line and code 4, and starts once there is "
          "space",
          "[cluster]") {
  cluster_fixture f;
  tmpfs_mount disk{f.data_dir(), "48m"};
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root)");
    return;
  }
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli({"service", "create", "--name", "web", "--replicas", "0",
                 "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.stop_daemon(SIGTERM));
  auto filler = f.data_dir() + "/filler";
  REQUIRE(fill_disk(filler, 64) > 0);
  // start: the daemon restarts on the full disk (opening RocksDB writes
  // its recovered log to a table file: refused)
  auto r = f.run_daemon_until_exit(f.data_dir(), f.socket_path(), 20s);
  // check: one clear line and exit code 4, no abort
  INFO(r.err);
  CHECK(r.exit_code == actorswarm::persistence::data_dir_full_exit);
  CHECK(r.err.find("Error: data dir " + f.data_dir()
                   + ": no space left on device")
        != std::string::npos);
  CHECK(r.err.find("assertion") == std::string::npos);
  // start: space is back
  REQUIRE(::unlink(filler.c_str()) == 0);
  REQUIRE(f.start_daemon());
  // check: everything is there and writes succeed
  CHECK(f.wait_replicas("web", "0/0"));
  CHECK(eventually([&] {
    return f.cli({"service", "create", "--name", "after", "--replicas", "0",
                  "host", "sleep", "3600"})
             .exit_code
           == 0;
  }));
  CHECK(f.stop_daemon(SIGTERM));
}

TEST_CASE("cluster: of three managers, a follower with a full disk stays up "
          "and catches up once there is space, and a leader with a full disk "
          "steps down and another takes the writes",
          "[cluster]") {
  manager_set m{3};
  std::vector<std::unique_ptr<tmpfs_mount>> disks;
  for (size_t i = 0; i < m.size(); ++i) {
    disks.push_back(std::make_unique<tmpfs_mount>(m[i].data_dir(), "48m"));
    if (!disks.back()->mounted()) {
      WARN("skipped: cannot mount a tmpfs here (needs root)");
      return;
    }
  }
  auto leader = form_and_lead(m);
  auto follower = live_other(m, leader);
  auto big = "big=" + std::string(16 * 1024, 'x');
  // start: the follower's disk fills up
  auto filler = m[follower].data_dir() + "/filler";
  REQUIRE(fill_disk(filler, 64) > 0);
  // check: the leader and the other follower take writes; the full one
  // stays up and serves reads
  auto r = m[leader].cli({"service", "create", "--name", "while-full",
                          "--replicas", "0", "--label", big, "host", "sleep",
                          "3600"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(process_alive(m[follower].daemon_pid()));
  CHECK(m[follower].cli({"service", "ls"}).exit_code == 0);
  // start: space is back on the follower
  REQUIRE(::unlink(filler.c_str()) == 0);
  // check: it catches up without a restart
  CHECK(m.wait_replicas(follower, "while-full", "0/0", 20s));
  // start: the leader's disk fills up
  filler = m[leader].data_dir() + "/filler";
  REQUIRE(fill_disk(filler, 64) > 0);
  // check: its write is not acknowledged as done; it steps down, another
  // manager leads and takes writes; the old leader stays up
  auto refused = m[leader].cli({"service", "create", "--name", "on-full-leader",
                                "--replicas", "0", "--label", big, "host",
                                "sleep", "3600"});
  INFO(describe(refused));
  CHECK(refused.exit_code != 0);
  CHECK(process_alive(m[leader].daemon_pid()));
  auto other = live_other(m, leader);
  CHECK(eventually(
    [&] {
      return m[other]
               .cli({"service", "create", "--name", "new-leader", "--replicas",
                     "0", "host", "sleep", "3600"})
               .exit_code
             == 0;
    },
    20s, 200ms));
  CHECK(m.leader_seen_by(other) != int(leader));
  CHECK(process_alive(m[leader].daemon_pid()));
  // start: space is back on the old leader
  REQUIRE(::unlink(filler.c_str()) == 0);
  // check: it catches up as a follower
  CHECK(m.wait_replicas(leader, "new-leader", "0/0", 20s));
  for (size_t i = 0; i < m.size(); ++i)
    m[i].stop_daemon(SIGTERM);
}
