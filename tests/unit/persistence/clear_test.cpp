// Conformance suite of `clear()` (a node leaving its swarm) for the log,
// snapshot and task record stores: RocksDB/file and memory twins.

#include "persistence/log_store.hpp"

#include <catch2/catch.hpp>

#include "persistence/file_snapshot_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/task_record_store.hpp"
#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace {

pb::Entry entry(uint64_t index, uint64_t term) {
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data("e" + std::to_string(index));
  return e;
}

pb::SnapshotMetadata snap_meta(uint64_t index, uint64_t term) {
  pb::SnapshotMetadata x;
  x.set_index(index);
  x.set_term(term);
  return x;
}

void check_empty_log(log_store& s) {
  CHECK(s.first_index() == 1);
  CHECK(s.last_index() == 0);
  CHECK(s.hard_state().term() == 0);
  CHECK(s.hard_state().commit() == 0);
  CHECK(s.snapshot().index == 0);
  CHECK(s.snapshot().term == 0);
}

struct file_snaps {
  tmp_dir dir;
  file_snapshot_store store{dir.path(), 1, [](const std::string&) {}};
};

struct memory_snaps {
  memory_snapshot_store store{1};
};

} // namespace

TEMPLATE_TEST_CASE("log_store: clear leaves a new store, also after a reopen",
                   "[unit]", memory_fixture, rocksdb_fixture) {
  TestType f;
  log_write w;
  w.hard_state.emplace();
  w.hard_state->set_term(2);
  w.hard_state->set_commit(5);
  for (uint64_t i = 1; i <= 10; ++i)
    w.entries.push_back(entry(i, 1 + i / 5));
  f.log().save(w);
  REQUIRE(f.log().compact_prefix(4, 1));
  f.log().clear();
  check_empty_log(f.log());
  f.reopen();
  check_empty_log(f.log());
  // A new log starts at index 1 again.
  log_write w2;
  w2.entries.push_back(entry(1, 1));
  f.log().save(w2);
  CHECK(f.log().last_index() == 1);
  CHECK(*f.log().term(1) == 1);
}

TEMPLATE_TEST_CASE("snapshot_store: clear deletes every snapshot", "[unit]",
                   memory_snaps, file_snaps) {
  TestType f;
  REQUIRE(f.store.save(snap_meta(10, 1), "ten"));
  REQUIRE(f.store.save(snap_meta(20, 1), "twenty"));
  f.store.clear();
  auto none = f.store.load_latest();
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(f.store.save(snap_meta(5, 1), "five"));
  auto snap = f.store.load_latest();
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->data() == "five");
}

TEMPLATE_TEST_CASE("task_record_store: clear deletes every record", "[unit]",
                   memory_fixture, rocksdb_fixture) {
  TestType f;
  f.records().put({{"t1", "a"}, {"t2", "b"}});
  f.records().clear();
  CHECK(f.records().load_all().empty());
  f.reopen();
  CHECK(f.records().load_all().empty());
  f.records().put({{"t3", "c"}});
  CHECK(f.records().load_all().size() == 1);
}
