// Cluster: autolock on one real daemon (docker's `swarm init --autolock`
// walk-through): the Raft data is sealed at rest, a restarted manager is
// locked (serves nothing, its tasks keep running) until `swarm unlock`
// gives the right key, a wrong key is docker's error, and the key can be
// shown, rotated and turned off.

#include "cluster/cluster_fixture.hpp"
#include "cluster/manager_set.hpp"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

/// The SWMKEY-1-... in `text`, or "".
std::string key_in(const std::string& text) {
  auto at = text.find("SWMKEY-1-");
  if (at == std::string::npos)
    return "";
  auto end = text.find_first_of(" \n", at);
  return text.substr(at, end - at);
}

/// Whether any file under `dir` holds `needle`.
bool any_file_holds(const std::string& dir, const std::string& needle) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file())
      continue;
    std::ifstream in{it->path(), std::ios::binary};
    std::string bytes{std::istreambuf_iterator<char>{in}, {}};
    if (bytes.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

/// `swarm unlock` with `key` on its stdin (not a terminal: one line).
cmd_result unlock(const cluster_fixture& f, const std::string& key) {
  return run_process({"/bin/sh", "-c",
                      "printf '%s\\n' \"$1\" | \"$2\" -H \"unix://$3\" swarm "
                      "unlock",
                      "sh", key, AS_BINARY, f.socket_path()});
}

bool locked_file(const cluster_fixture& f) {
  return std::filesystem::exists(f.data_dir() + "/swarm.key");
}

} // namespace

TEST_CASE("cluster: an autolocked manager restarts locked, refuses a wrong "
          "key and serves again with the right one, its tasks running "
          "throughout",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  auto init = f.cli({"swarm", "init", "--autolock"});
  REQUIRE(init.exit_code == 0);
  auto key = key_in(init.out);
  REQUIRE(key.size() == 9 + 43);
  CHECK(init.out.find("To unlock a swarm manager after it restarts, run the "
                      "`actorswarm swarm unlock`\ncommand and provide the "
                      "following key:\n\n    "
                      + key + "\n\nPlease remember")
        != std::string::npos);
  REQUIRE(eventually([&] { return locked_file(f); }));
  REQUIRE(f.cli({"service", "create", "--name", "sealedwebxyz", "host", "sleep",
                 "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_task_count(1) == 1);
  auto pids = f.task_pids();
  // Sealed at rest: the spec is in no database or snapshot file.
  CHECK_FALSE(any_file_holds(f.data_dir() + "/db", "sealedwebxyz"));
  CHECK_FALSE(any_file_holds(f.data_dir() + "/snapshots", "sealedwebxyz"));
  // The entry that turned autolock on held the key in plain; the reseal
  // and compaction that followed left no live copy of it.
  CHECK_FALSE(any_file_holds(f.data_dir() + "/db", key));
  CHECK_FALSE(any_file_holds(f.data_dir() + "/snapshots", key));
  CHECK(f.cli({"swarm", "unlock-key", "-q"}).out == key + "\n");
  // start: the daemon dies; a new one finds its data dir locked
  REQUIRE(f.stop_daemon(SIGKILL));
  REQUIRE(f.start_daemon());
  CHECK(f.cli({"info"}).out.find("Swarm: locked\n") != std::string::npos);
  auto ls = f.cli({"service", "ls"});
  CHECK(ls.exit_code == 1);
  CHECK(ls.err
        == "Error response from daemon: Swarm is encrypted and needs to be "
           "unlocked before it can be used. Please use \"actorswarm swarm "
           "unlock\" to unlock it.\n");
  CHECK(f.task_pids() == pids);
  auto wrong = unlock(f,
                      "SWMKEY-1-WuYH/IX284+lRcXuoVf38viIDK3HJEKY13MIHX+tTt8");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err
        == "Error response from daemon: swarm could not be unlocked: invalid "
           "key provided\n");
  CHECK(f.cli({"service", "ls"}).exit_code == 1);
  // check: the right key starts the manager, which adopts its task
  auto right = unlock(f, key);
  CHECK(right.exit_code == 0);
  INFO(right.err);
  CHECK(f.wait_replicas("sealedwebxyz", "1/1", 15s));
  CHECK(f.wait_task_count(1) == 1);
  CHECK(f.task_pids() == pids);
  auto again = unlock(f, key);
  CHECK(again.err == "Error: swarm is not locked\n");
  // rotate, then turn autolock off: the dir is not locked any more
  auto rotated = f.cli({"swarm", "unlock-key", "--rotate", "-q"});
  REQUIRE(rotated.exit_code == 0);
  auto new_key = key_in(rotated.out);
  CHECK(new_key.size() == key.size());
  CHECK(new_key != key);
  auto off = f.cli({"swarm", "update", "--autolock=false"});
  CHECK(off.exit_code == 0);
  CHECK(off.out == "Swarm updated.\n");
  CHECK(eventually([&] { return !locked_file(f); }));
  CHECK(f.cli({"swarm", "unlock-key"}).err
        == "Error response from daemon: no unlock key is set\n");
  REQUIRE(f.stop_daemon(SIGKILL));
  REQUIRE(f.start_daemon());
  CHECK(f.wait_replicas("sealedwebxyz", "1/1", 15s));
}

TEST_CASE("cluster: a manager that left its autolocked swarm restarts "
          "unlocked",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.cli({"swarm", "init", "--autolock"}).exit_code == 0);
  REQUIRE(eventually([&] { return locked_file(f); }));
  REQUIRE(f.cli({"swarm", "leave", "--force"}).exit_code == 0);
  REQUIRE(f.stop_daemon(SIGKILL));
  REQUIRE(f.start_daemon());
  CHECK(f.cli({"info"}).out.find("Swarm: inactive\n") != std::string::npos);
  CHECK_FALSE(locked_file(f));
  CHECK(f.swarm_init());
}

TEST_CASE("cluster: three managers share one unlock key: each locks its own "
          "data dir, a restarted follower rejoins only with the key, and a "
          "rotation reaches all",
          "[cluster]") {
  manager_set m{3};
  auto leader = form_and_lead(m);
  auto follower = live_other(m, leader);
  auto on = m[leader].cli({"swarm", "update", "--autolock=true"});
  INFO(describe(on));
  REQUIRE(on.exit_code == 0);
  auto key = key_in(on.out);
  REQUIRE(key.size() == 9 + 43);
  for (size_t i = 0; i < m.size(); ++i) {
    INFO("manager " << i);
    CHECK(eventually([&] { return locked_file(m[i]); }));
    CHECK(eventually([&] {
      return m[i].cli({"swarm", "unlock-key", "-q"}).out == key + "\n";
    }));
  }
  REQUIRE(create_service(m, follower, "lockedsvc", 3).exit_code == 0);
  CHECK(m.wait_replicas(leader, "lockedsvc", "3/3"));
  // start: the follower dies and comes back locked
  REQUIRE(m[follower].stop_daemon(SIGKILL));
  REQUIRE(m[follower].start_daemon());
  CHECK(m[follower].cli({"node", "ls"}).exit_code == 1);
  CHECK(unlock(m[follower], key).exit_code == 0);
  CHECK(m.wait_stable_leader(15s) >= 0);
  CHECK(m.wait_replicas(follower, "lockedsvc", "3/3", 15s));
  // a rotation on the leader reaches the follower's data dir
  auto rotated = m[leader].cli({"swarm", "unlock-key", "--rotate", "-q"});
  REQUIRE(rotated.exit_code == 0);
  auto new_key = key_in(rotated.out);
  REQUIRE(new_key.size() == key.size());
  CHECK(eventually([&] {
    return m[follower].cli({"swarm", "unlock-key", "-q"}).out == new_key + "\n";
  }));
  // The control actor rewraps the key file in the same step that shows it
  // the new key, so a restart now wants the new one.
  REQUIRE(m[follower].stop_daemon(SIGTERM));
  REQUIRE(m[follower].start_daemon());
  auto old = unlock(m[follower], key);
  CHECK(old.exit_code == 1);
  CHECK(old.err
        == "Error response from daemon: swarm could not be unlocked: invalid "
           "key provided\n");
  CHECK(unlock(m[follower], new_key).exit_code == 0);
  CHECK(m.wait_stable_leader(15s) >= 0);
}
