// Conformance suite of log_store: every test runs against the RocksDB store
// and its memory twin (STYLE.md R5), after etcd-io/raft storage_test.go.

#include "persistence/log_store.hpp"

#include <csignal>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace {

pb::Entry make_entry(uint64_t index, uint64_t term) {
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data("e" + std::to_string(index) + "-t" + std::to_string(term));
  return e;
}

/// Saves entries first, first+1, ... with the given terms, synced.
void append(log_store& s, uint64_t first, std::vector<uint64_t> terms) {
  log_write w;
  for (size_t i = 0; i < terms.size(); ++i)
    w.entries.push_back(make_entry(first + i, terms[i]));
  s.save(w);
}

std::vector<uint64_t> terms_of(const std::vector<pb::Entry>& xs) {
  std::vector<uint64_t> ts;
  for (auto& x : xs)
    ts.push_back(x.term());
  return ts;
}

std::vector<uint64_t> all_terms(log_store& s) {
  auto xs = s.entries(s.first_index(), s.last_index() + 1, no_size_limit_bytes);
  REQUIRE(xs);
  return terms_of(*xs);
}

} // namespace

TEMPLATE_TEST_CASE("log_store: an empty log has first 1, last 0, term(0) 0",
                   "[unit]", memory_fixture, rocksdb_fixture,
                   sealed_rocksdb_fixture) {
  TestType f;
  auto& s = f.log();
  CHECK(s.first_index() == 1);
  CHECK(s.last_index() == 0);
  CHECK(*s.term(0) == 0);
  REQUIRE_FALSE(s.term(1));
  CHECK(s.term(1).error().code == log_unavailable);
  auto xs = s.entries(1, 1, no_size_limit_bytes);
  REQUIRE(xs);
  CHECK(xs->empty());
  CHECK(s.hard_state().term() == 0);
  CHECK(s.snapshot().index == 0);
}

TEMPLATE_TEST_CASE("log_store: appended entries read back in order", "[unit]",
                   memory_fixture, rocksdb_fixture, sealed_rocksdb_fixture) {
  TestType f;
  auto& s = f.log();
  append(s, 1, {1, 1, 2});
  append(s, 4, {2, 3});
  CHECK(s.last_index() == 5);
  CHECK(*s.term(3) == 2);
  CHECK(*s.term(5) == 3);
  CHECK(s.term(6).error().code == log_unavailable);
  auto xs = s.entries(2, 5, no_size_limit_bytes);
  REQUIRE(xs);
  REQUIRE(xs->size() == 3);
  CHECK((*xs)[0].index() == 2);
  CHECK((*xs)[2].data() == "e4-t2");
  CHECK(s.entries(1, 7, no_size_limit_bytes).error().code == log_unavailable);
}

TEMPLATE_TEST_CASE("log_store: an append at or before last truncates the "
                   "conflicting suffix",
                   "[unit]", memory_fixture, rocksdb_fixture,
                   sealed_rocksdb_fixture) {
  TestType f;
  auto& s = f.log();
  append(s, 1, {1, 1, 1, 1, 1});
  SECTION("overwrite in the middle drops everything after") {
    append(s, 3, {2});
    CHECK(s.last_index() == 3);
    CHECK(all_terms(s) == std::vector<uint64_t>{1, 1, 2});
    CHECK(s.term(4).error().code == log_unavailable);
  }
  SECTION("overwrite from the first entry") {
    append(s, 1, {3, 3});
    CHECK(all_terms(s) == std::vector<uint64_t>{3, 3});
  }
  SECTION("overwrite and extend past the old end") {
    append(s, 4, {2, 2, 2, 2});
    CHECK(s.last_index() == 7);
    CHECK(all_terms(s) == std::vector<uint64_t>{1, 1, 1, 2, 2, 2, 2});
  }
  SECTION("the suffix stays truncated after a reopen") {
    append(s, 2, {4});
    f.reopen();
    CHECK(f.log().last_index() == 2);
    CHECK(all_terms(f.log()) == std::vector<uint64_t>{1, 4});
    append(f.log(), 3, {4});
    CHECK(all_terms(f.log()) == std::vector<uint64_t>{1, 4, 4});
  }
}

TEMPLATE_TEST_CASE("log_store: hard state is saved with or without entries",
                   "[unit]", memory_fixture, rocksdb_fixture,
                   sealed_rocksdb_fixture) {
  TestType f;
  log_write w;
  w.hard_state.emplace();
  w.hard_state->set_term(7);
  w.hard_state->set_vote(2);
  w.entries.push_back(make_entry(1, 7));
  f.log().save(w);
  log_write only_hs;
  only_hs.hard_state = pb::HardState{};
  only_hs.hard_state->set_term(7);
  only_hs.hard_state->set_vote(2);
  only_hs.hard_state->set_commit(1);
  f.log().save(only_hs);
  f.reopen();
  auto hs = f.log().hard_state();
  CHECK(hs.term() == 7);
  CHECK(hs.vote() == 2);
  CHECK(hs.commit() == 1);
  CHECK(f.log().last_index() == 1);
}

TEMPLATE_TEST_CASE("log_store: compaction drops the prefix and keeps the "
                   "term of the snapshot point",
                   "[unit]", memory_fixture, rocksdb_fixture,
                   sealed_rocksdb_fixture) {
  TestType f;
  auto& s = f.log();
  append(s, 1, {1, 1, 2, 2, 3});
  REQUIRE(s.compact_prefix(3, 2));
  CHECK(s.first_index() == 4);
  CHECK(s.last_index() == 5);
  CHECK(*s.term(3) == 2);
  CHECK(s.term(2).error().code == log_compacted);
  CHECK(s.entries(3, 5, no_size_limit_bytes).error().code == log_compacted);
  CHECK(all_terms(s) == std::vector<uint64_t>{2, 3});
  SECTION("compacting at or below the point again fails and changes nothing") {
    CHECK(s.compact_prefix(3, 2).error().code == log_compacted);
    CHECK(s.compact_prefix(1, 1).error().code == log_compacted);
    CHECK(s.first_index() == 4);
  }
  SECTION("it survives a reopen") {
    f.reopen();
    CHECK(f.log().first_index() == 4);
    CHECK(*f.log().term(3) == 2);
    CHECK(all_terms(f.log()) == std::vector<uint64_t>{2, 3});
  }
  SECTION("entries below the first index are skipped on save") {
    append(s, 2, {1, 2, 2, 3, 4});
    CHECK(s.first_index() == 4);
    CHECK(all_terms(s) == std::vector<uint64_t>{2, 3, 4});
  }
  SECTION("appending after the snapshot point works") {
    append(s, 6, {3});
    CHECK(s.last_index() == 6);
  }
}

TEMPLATE_TEST_CASE("log_store: a snapshot that does not match the log "
                   "replaces all of it",
                   "[unit]", memory_fixture, rocksdb_fixture,
                   sealed_rocksdb_fixture) {
  TestType f;
  auto& s = f.log();
  append(s, 1, {1, 1, 2});
  SECTION("beyond the last index") {
    REQUIRE(s.compact_prefix(10, 4));
  }
  SECTION("with another term at the index") {
    REQUIRE(s.compact_prefix(2, 5));
  }
  auto point = s.snapshot();
  CHECK(s.last_index() == point.index);
  CHECK(s.first_index() == point.index + 1);
  CHECK(*s.term(point.index) == point.term);
  f.reopen();
  CHECK(f.log().last_index() == point.index);
  append(f.log(), point.index + 1, {point.term});
  CHECK(f.log().last_index() == point.index + 1);
}

TEMPLATE_TEST_CASE("log_store: entries respects max_bytes but returns at "
                   "least one",
                   "[unit]", memory_fixture, rocksdb_fixture,
                   sealed_rocksdb_fixture) {
  TestType f;
  auto& s = f.log();
  append(s, 1, {1, 1, 1, 1});
  auto one_bytes = make_entry(1, 1).ByteSizeLong();
  CHECK(s.entries(1, 5, 0)->size() == 1);
  CHECK(s.entries(1, 5, one_bytes)->size() == 1);
  CHECK(s.entries(1, 5, 2 * one_bytes)->size() == 2);
  CHECK(s.entries(1, 5, 2 * one_bytes + 1)->size() == 2);
  CHECK(s.entries(2, 4, no_size_limit_bytes)->size() == 2);
}

TEMPLATE_TEST_CASE("log_store: everything synced survives a reopen", "[unit]",
                   memory_fixture, rocksdb_fixture, sealed_rocksdb_fixture) {
  TestType f;
  log_write w;
  w.hard_state.emplace();
  w.hard_state->set_term(3);
  w.hard_state->set_commit(4);
  for (uint64_t i = 1; i <= 100; ++i)
    w.entries.push_back(make_entry(i, 1 + i / 40));
  f.log().save(w);
  REQUIRE(f.log().compact_prefix(50, 2));
  f.reopen();
  auto& s = f.log();
  CHECK(s.first_index() == 51);
  CHECK(s.last_index() == 100);
  CHECK(s.hard_state().commit() == 4);
  auto xs = s.entries(51, 101, no_size_limit_bytes);
  REQUIRE(xs->size() == 50);
  for (auto& x : *xs)
    CHECK(x.data() == make_entry(x.index(), x.term()).data());
}

TEST_CASE("memory_log_store: a crash loses unsynced writes only", "[unit]") {
  memory_log_store s;
  append(s, 1, {1, 1});
  log_write unsynced;
  unsynced.sync = false;
  unsynced.entries.push_back(make_entry(3, 1));
  unsynced.hard_state = pb::HardState{};
  unsynced.hard_state->set_term(9);
  s.save(unsynced);
  CHECK(s.last_index() == 3);
  SECTION("crash right away") {
    s.crash();
    CHECK(s.last_index() == 2);
    CHECK(s.hard_state().term() == 0);
  }
  SECTION("a later synced write makes the earlier one durable") {
    log_write synced;
    synced.entries.push_back(make_entry(4, 1));
    s.save(synced);
    s.crash();
    CHECK(s.last_index() == 4);
    CHECK(s.hard_state().term() == 9);
  }
  SECTION("an unsynced truncation is undone by a crash") {
    unsynced.entries = {make_entry(2, 5)};
    unsynced.hard_state.reset();
    s.save(unsynced);
    CHECK(s.last_index() == 2);
    s.crash();
    CHECK(all_terms(s) == std::vector<uint64_t>{1, 1});
  }
}

namespace {

/// Runs `f` in a forked child with stderr silenced; true if it aborted.
template <class F>
bool aborts(F f) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    f();
    ::_exit(0);
  }
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  return WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGABRT;
}

} // namespace

TEST_CASE("memory_log_store: a save that breaks its preconditions aborts",
          "[unit]") {
  memory_log_store s;
  append(s, 1, {1, 1});
  // Fail-stop (STYLE.md R6): a caller bug here would corrupt the log.
  CHECK(aborts([&] { append(s, 4, {1}); })); // gap after last
  CHECK(aborts([&] {                         // not contiguous
    log_write w;
    w.entries = {make_entry(3, 1), make_entry(5, 1)};
    s.save(w);
  }));
  CHECK_FALSE(aborts([&] { append(s, 3, {1}); }));
}
