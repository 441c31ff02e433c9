// Crash test (DESIGN.md Persistence): a daemon killed with SIGKILL at any
// moment restarts with nothing acknowledged lost. A child process (this test
// binary, re-executed into a hidden test case) appends synced batches and
// reports each acknowledged index through a pipe; the parent SIGKILLs it at a
// seeded random moment, reopens the data dir and checks the log.

#include "persistence/data_dir.hpp"

#include <cstdlib>
#include <random>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace {

constexpr const char* child_test_name
  = "persistence crash child: append synced batches until killed";

/// The payload of entry `index`: deterministic, of varying size.
std::string payload(uint64_t index) {
  return std::string(1 + (index * 37) % 1500,
                     static_cast<char>('a' + index % 26));
}

uint64_t env_u64(const char* name) {
  auto* x = std::getenv(name);
  return x != nullptr ? std::strtoull(x, nullptr, 10) : 0;
}

/// The child's loop; ends only by SIGKILL (or a broken pipe).
void run_child(const std::string& dir, int ack_fd, uint64_t term,
               uint64_t seed) {
  auto dd = must_open(dir);
  auto& log = dd->log();
  std::mt19937_64 rng{seed};
  // Bounded: the parent kills us long before this ends.
  for (int batch = 0; batch < 1000000; ++batch) {
    log_write w;
    auto n = std::uniform_int_distribution<uint64_t>{1, 40}(rng);
    for (uint64_t i = 0; i < n; ++i) {
      pb::Entry e;
      e.set_index(log.last_index() + 1 + i);
      e.set_term(term);
      e.set_data(payload(e.index()));
      w.entries.push_back(std::move(e));
    }
    w.hard_state = pb::HardState{};
    w.hard_state->set_term(term);
    w.hard_state->set_commit(w.entries.back().index());
    log.save(w);
    uint64_t acked = log.last_index();
    if (::write(ack_fd, &acked, sizeof(acked)) != sizeof(acked))
      std::_Exit(3);
    if (batch % 37 == 36 && log.last_index() > log.first_index() + 64) {
      auto at = log.last_index() - 64;
      REQUIRE(log.compact_prefix(at, *log.term(at)));
    }
  }
  std::_Exit(0);
}

/// Starts the child; returns its pid and the read end of its ack pipe.
std::pair<pid_t, int> spawn_child(const std::string& dir, uint64_t term,
                                  uint64_t seed) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed.
  std::vector<std::string> env = {"AS_CRASH_DIR=" + dir, "AS_CRASH_FD=3",
                                  "AS_CRASH_TERM=" + std::to_string(term),
                                  "AS_CRASH_SEED=" + std::to_string(seed)};
  std::vector<char*> envp;
  for (auto& x : env)
    envp.push_back(x.data());
  envp.push_back(nullptr);
  std::string arg0 = "unit_persistence";
  std::string arg1 = child_test_name;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // dup2 clears O_CLOEXEC on the copy, but is a no-op if already fd 3.
    if (fds[1] == 3)
      ::fcntl(3, F_SETFD, 0);
    else
      ::dup2(fds[1], 3);
    ::dup2(devnull, 1);
    ::execve("/proc/self/exe", argv, envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::close(devnull);
  return {pid, fds[0]};
}

/// Reads acks until `count` arrived or the pipe closed; returns the highest.
uint64_t read_acks(int fd, uint64_t count, uint64_t highest) {
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t x = 0;
    auto n = ::read(fd, &x, sizeof(x));
    if (n != static_cast<ssize_t>(sizeof(x)))
      break;
    highest = std::max(highest, x);
  }
  return highest;
}

void check_log(log_store& log, uint64_t acked, uint64_t max_term) {
  INFO("acked=" << acked << " first=" << log.first_index()
                << " last=" << log.last_index());
  REQUIRE(log.last_index() >= acked);
  auto hs = log.hard_state();
  CHECK(hs.commit() >= acked);
  CHECK(hs.commit() <= log.last_index());
  auto xs = log.entries(log.first_index(), log.last_index() + 1,
                        no_size_limit_bytes);
  REQUIRE(xs);
  REQUIRE(xs->size() == log.last_index() - log.first_index() + 1);
  uint64_t expected = log.first_index();
  uint64_t prev_term = *log.term(expected - 1);
  for (auto& x : *xs) {
    REQUIRE(x.index() == expected++);
    REQUIRE(x.data() == payload(x.index()));
    REQUIRE(x.term() >= prev_term);
    REQUIRE(x.term() <= max_term);
    prev_term = x.term();
  }
}

} // namespace

TEST_CASE(child_test_name, "[.crash_child]") {
  auto* dir = std::getenv("AS_CRASH_DIR");
  if (dir == nullptr)
    return; // only meaningful when started by the crash test
  run_child(dir, static_cast<int>(env_u64("AS_CRASH_FD")),
            env_u64("AS_CRASH_TERM"), env_u64("AS_CRASH_SEED"));
}

TEST_CASE("rocksdb_log_store: SIGKILL at a random moment loses no acknowledged "
          "entry and leaves a contiguous log",
          "[unit]") {
  auto seed = std::getenv("AS_SEED") != nullptr ? env_u64("AS_SEED") : 7;
  INFO("seed=" << seed);
  std::mt19937_64 rng{seed};
  tmp_dir tmp;
  must_open(tmp.path()).reset(); // initialize before the first child
  uint64_t acked = 0;
  constexpr uint64_t rounds = 4;
  for (uint64_t term = 1; term <= rounds; ++term) {
    auto [pid, fd] = spawn_child(tmp.path(), term, rng());
    auto kill_after = std::uniform_int_distribution<uint64_t>{1, 120}(rng);
    acked = read_acks(fd, kill_after, acked);
    if (term == 1) {
      // The child holds the data dir now: a second daemon must be refused.
      auto second = data_dir::open(tmp.path(), true);
      REQUIRE_FALSE(second);
      CHECK_THAT(second.error().message,
                 Catch::EndsWith("is in use by another actorswarm daemon (pid "
                                 + std::to_string(pid) + ")"));
    }
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFSIGNALED(wstatus));
    // Acks already in the pipe were acknowledged before the kill, too.
    acked = read_acks(fd, 1u << 30, acked);
    ::close(fd);
    INFO("term=" << term << " kill_after=" << kill_after);
    auto dd = must_open(tmp.path());
    check_log(dd->log(), acked, term);
  }
  CHECK(acked > 0);
}
