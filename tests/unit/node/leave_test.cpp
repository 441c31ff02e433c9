// `swarm leave` without CAF (actors/node/leave.hpp): which recorded task
// processes still live, signalling their groups, and wiping the swarm state
// of a data dir. Children are real processes of this test, each in its own
// process group, reaped before the test ends.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "actors/node/leave.hpp"
#include "actors/task/process_executor.hpp"
#include "persistence/memory_node_stores.hpp"
#include "support/fake_secrets.hpp"
#include "unit/persistence/fixtures.hpp"

namespace pb = actorswarm::pb;
namespace task = actorswarm::task;
namespace persistence = actorswarm::persistence;
using namespace actorswarm::node;

namespace {

// Deterministic randomness (new Raft ids) for the whole file.
const cluster_secrets secrets = actorswarm::test::fake_secrets();

// A pid no process has (above any pid_max).
constexpr int no_such_pid = 999'999'999;

// A child in a process group of its own that waits for a signal; killed
// and reaped at the end of the scope unless reap() took it first.
class child {
public:
  child() {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Not Catch2's handlers: a signal ends the child as it would a task.
      for (int sig : {SIGTERM, SIGINT, SIGSEGV, SIGABRT})
        ::signal(sig, SIG_DFL);
      ::setpgid(0, 0);
      char x = 1;
      [[maybe_unused]] auto n = ::write(ready[1], &x, 1);
      for (;;)
        ::pause();
    }
    ::setpgid(pid_, pid_); // either side may win; both set the same group
    ::close(ready[1]);
    char x = 0;
    auto n = ::read(ready[0], &x, 1); // the child is set up
    ::close(ready[0]);
    REQUIRE(n == 1);
  }

  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const {
    return pid_;
  }

  task::process_record record() const {
    return {pid_, task::read_start_time(pid_), pid_};
  }

  /// Waits until the child ended, leaving it a zombie (not reaped).
  void await_zombie() {
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT)
            == 0);
  }

  /// Waits for the child's end and reaps it; returns its wait status.
  int reap() {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return status;
  }

private:
  pid_t pid_ = -1;
};

} // namespace

TEST_CASE("leave: the recorded task processes that still live, matched by "
          "pid and start time",
          "[unit]") {
  child c;
  REQUIRE(task::read_start_time(c.pid()) != 0);
  auto live = c.record();
  auto reused = live;
  reused.start_time_ticks += 1; // the pid now names another process
  persistence::memory_task_record_store records;
  records.put({{"t1", task::encode_record(live)},
               {"t2", task::encode_record(reused)},
               {"t3", "not a record"},
               {"t4", task::encode_record({no_such_pid, 1, no_such_pid})}});
  auto xs = live_task_processes(records);
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].pid == live.pid);
  CHECK(xs[0].start_time_ticks == live.start_time_ticks);
  CHECK(xs[0].pgid == live.pgid);
}

TEST_CASE("leave: no records, no processes", "[unit]") {
  persistence::memory_task_record_store records;
  CHECK(live_task_processes(records).empty());
}

TEST_CASE("leave: still_alive drops exited processes, zombies and records "
          "without a pid",
          "[unit]") {
  child running;
  child exited;
  auto gone = exited.record();
  ::kill(exited.pid(), SIGKILL);
  exited.await_zombie();
  // Until reaped the child is a zombie, which counts as gone too.
  auto zombie = still_alive({running.record(), gone});
  REQUIRE(zombie.size() == 1);
  CHECK(zombie[0].pid == running.pid());
  exited.reap();
  CHECK(still_alive({gone, {0, 1, 0}, {-1, 1, 0}}).empty());
  CHECK(still_alive({}).empty());
}

TEST_CASE("leave: signal_groups signals each process group", "[unit]") {
  child a;
  child b;
  signal_groups({a.record(), b.record()}, SIGTERM);
  for (auto* c : {&a, &b}) {
    auto status = c->reap();
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
  }
}

TEST_CASE("leave: signal_groups goes on past groups it cannot signal",
          "[unit]") {
  child c;
  // pgid 1 and 0 are refused (they would hit init or the daemon itself); a
  // group that is gone is no error; the last one is still signalled.
  signal_groups(
    {{1, 1, 1}, {2, 1, 0}, {no_such_pid, 1, no_such_pid}, c.record()}, SIGKILL);
  auto status = c.reap();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("leave: wiping the swarm state empties the Raft log, snapshots and "
          "task records and keeps only the node id",
          "[unit]") {
  persistence::test::tmp_dir tmp;
  auto dd = persistence::test::must_open(tmp.path());
  persistence::log_write w;
  pb::HardState hs;
  hs.set_term(3);
  hs.set_commit(2);
  w.hard_state = hs;
  for (uint64_t i = 1; i <= 2; ++i) {
    pb::Entry e;
    e.set_index(i);
    e.set_term(3);
    w.entries.push_back(e);
  }
  dd->log().save(w);
  pb::SnapshotMetadata meta;
  meta.set_index(2);
  meta.set_term(3);
  REQUIRE(dd->snapshots().save(meta, "state"));
  dd->task_records().put({{"t1", "1 2 3"}});
  auto& kv = dd->node_state();
  for (const char* key : {"node_id", "cluster_id", "addr", "raft_id", "origin",
                          "role", "managers"})
    kv.put(key, std::string{"value of "} + key);
  wipe_swarm_state(*dd);
  CHECK(dd->log().last_index() == 0);
  CHECK(dd->log().hard_state().term() == 0);
  auto snap = dd->snapshots().load_latest();
  REQUIRE(snap);
  CHECK_FALSE(snap->has_value());
  CHECK(dd->task_records().load_all().empty());
  CHECK(kv.get("node_id") == std::optional<std::string>{"value of node_id"});
  for (const char* key :
       {"cluster_id", "addr", "raft_id", "origin", "role", "managers"}) {
    INFO(key);
    CHECK_FALSE(kv.get(key));
  }
  // Durable: a reopened dir is as wiped.
  dd.reset();
  dd = persistence::test::must_open(tmp.path());
  CHECK(dd->log().last_index() == 0);
  CHECK(dd->task_records().load_all().empty());
  CHECK_FALSE(dd->node_state().get("cluster_id"));
  CHECK(dd->node_state().get("node_id"));
}

TEST_CASE("leave: the process checks wait while processes live, for the "
          "stop grace period, then kill",
          "[unit]") {
  CHECK(leave_stop_grace_ms == 10'000);
  CHECK(leave_check_interval_ms == 100);
  auto last_wait = leave_stop_grace_ms / leave_check_interval_ms - 1;
  CHECK(next_stop_check(0, 0) == stop_check::done);
  CHECK(next_stop_check(0, 500) == stop_check::done);
  CHECK(next_stop_check(3, 0) == stop_check::wait);
  CHECK(next_stop_check(1, last_wait) == stop_check::wait);
  CHECK(next_stop_check(1, last_wait + 1) == stop_check::kill);
}

TEST_CASE("leave: a demoted manager forgets its Raft state, takes a new Raft "
          "id and continues as a worker",
          "[unit]") {
  persistence::test::tmp_dir tmp;
  auto dd = persistence::test::must_open(tmp.path());
  auto id = load_identity(dd->node_state(), "h", secrets);
  id.cluster_id = "c1";
  id.addr = "10.0.0.2:2377";
  id.joined = true;
  save_identity(dd->node_state(), id);
  persistence::log_write w;
  pb::Entry e;
  e.set_index(1);
  e.set_term(1);
  w.entries.push_back(e);
  dd->log().save(w);
  pb::SnapshotMetadata meta;
  meta.set_index(1);
  meta.set_term(1);
  REQUIRE(dd->snapshots().save(meta, "state"));
  dd->task_records().put({{"t1", "1 2 3"}});
  auto demoted = demote_to_worker(*dd, id, {"10.0.0.1:2377"}, secrets);
  CHECK(demoted.worker);
  CHECK(demoted.raft_id != id.raft_id);
  CHECK(demoted.raft_id != 0);
  CHECK(demoted.node_id == id.node_id);
  CHECK(demoted.cluster_id == "c1");
  CHECK(demoted.managers == std::vector<std::string>{"10.0.0.1:2377"});
  CHECK(dd->log().last_index() == 0);
  REQUIRE(dd->snapshots().load_latest());
  CHECK_FALSE(dd->snapshots().load_latest()->has_value());
  // Its tasks keep running: their records stay.
  CHECK(dd->task_records().load_all().size() == 1);
  auto back = load_identity(dd->node_state(), "h", secrets);
  CHECK(back.raft_id == demoted.raft_id);
  CHECK(back.worker);
  CHECK(back.cluster_id == "c1");
  CHECK(back.managers == demoted.managers);
}

TEST_CASE("leave: the node that left keeps its node id, in no swarm",
          "[unit]") {
  persistence::test::tmp_dir tmp;
  auto dd = persistence::test::must_open(tmp.path());
  auto id = load_identity(dd->node_state(), "h", secrets);
  id.cluster_id = "c1";
  id.addr = "10.0.0.2:2377";
  id.worker = true;
  save_identity(dd->node_state(), id);
  auto left = left_swarm(*dd, "h", secrets);
  CHECK(left.node_id == id.node_id);
  CHECK(left.cluster_id.empty());
  CHECK(left.addr.empty());
  CHECK_FALSE(left.worker);
  CHECK(left.raft_id != id.raft_id); // a new one for a later swarm
}
