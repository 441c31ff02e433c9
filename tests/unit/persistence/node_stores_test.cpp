// Conformance suite of task_record_store and kv_store: RocksDB and memory.

#include "persistence/task_record_store.hpp"

#include <catch2/catch.hpp>

#include "persistence/kv_store.hpp"
#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

using records = std::vector<task_record_store::record>;

TEMPLATE_TEST_CASE("task_record_store: put, replace, remove, load_all",
                   "[unit]", memory_fixture, rocksdb_fixture) {
  TestType f;
  CHECK(f.records().load_all().empty());
  f.records().put({{"t2", "b"}, {"t1", "a"}, {"t3", std::string("\0x", 2)}});
  f.records().put({{"t2", "b2"}});
  f.records().remove({"t3", "unknown"});
  auto expected = records{{"t1", "a"}, {"t2", "b2"}};
  CHECK(f.records().load_all() == expected);
  f.reopen();
  CHECK(f.records().load_all() == expected);
  f.records().remove({"t1", "t2"});
  CHECK(f.records().load_all().empty());
}

TEMPLATE_TEST_CASE("kv_store: get, put, overwrite, remove", "[unit]",
                   memory_fixture, rocksdb_fixture) {
  TestType f;
  CHECK_FALSE(f.kv().get("node_id"));
  f.kv().put("node_id", "n1");
  f.kv().put("in_swarm", "1");
  f.kv().put("in_swarm", "0");
  f.reopen();
  CHECK(f.kv().get("node_id") == "n1");
  CHECK(f.kv().get("in_swarm") == "0");
  f.kv().remove("node_id");
  CHECK_FALSE(f.kv().get("node_id"));
}
