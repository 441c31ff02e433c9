#include "persistence/snapshot_store.hpp"

#include <fstream>

#include <catch2/catch.hpp>

#include "persistence/file_snapshot_store.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace {

pb::SnapshotMetadata meta(uint64_t index, uint64_t term) {
  pb::SnapshotMetadata x;
  x.set_index(index);
  x.set_term(term);
  auto* m = x.mutable_conf_state()->add_voters();
  m->set_raft_id(1);
  m->set_addr("127.0.0.1:2377");
  return x;
}

struct file_snaps {
  tmp_dir dir;
  std::vector<std::string> warnings;
  file_snapshot_store store{dir.path(), 1, [this](const std::string& x) {
                              warnings.push_back(x);
                            }};
  size_t count() const {
    return store.files().size();
  }
};

/// file_snaps with autolock on: every file sealed under one DEK.
struct sealed_file_snaps {
  tmp_dir dir;
  std::vector<std::string> warnings;
  file_snapshot_store store{
    dir.path(), 1, [this](const std::string& x) { warnings.push_back(x); },
    std::make_shared<const at_rest::cipher>(at_rest::random_key())};
  size_t count() const {
    return store.files().size();
  }
};

struct memory_snaps {
  memory_snapshot_store store{1};
  size_t count() const {
    return store.size();
  }
};

/// Flips one byte at `offset` from the end of `path`.
void flip_byte(const std::string& path, long offset_from_end) {
  std::fstream f{path, std::ios::in | std::ios::out | std::ios::binary};
  f.seekg(-offset_from_end, std::ios::end);
  char c = 0;
  f.get(c);
  f.seekp(-offset_from_end, std::ios::end);
  f.put(static_cast<char>(c ^ 0x01));
  REQUIRE(f.good());
}

} // namespace

TEMPLATE_TEST_CASE("snapshot_store: none at first, then the newest saved",
                   "[unit]", memory_snaps, file_snaps, sealed_file_snaps) {
  TestType f;
  auto none = f.store.load_latest();
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(f.store.save(meta(10, 1), "ten"));
  REQUIRE(f.store.save(meta(30, 2), "thirty"));
  REQUIRE(f.store.save(meta(20, 2), "twenty")); // older index: not latest
  auto snap = f.store.load_latest();
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->metadata().index() == 30);
  CHECK((*snap)->metadata().term() == 2);
  CHECK((*snap)->metadata().conf_state().voters(0).addr() == "127.0.0.1:2377");
  CHECK((*snap)->data() == "thirty");
  CHECK(f.count() == 2); // newest plus keep_old == 1
}

TEMPLATE_TEST_CASE("snapshot_store: large and binary data round-trips",
                   "[unit]", memory_snaps, file_snaps, sealed_file_snaps) {
  TestType f;
  std::string data(8u << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>((i * 2654435761u) >> 13);
  REQUIRE(f.store.save(meta(1000, 3), data));
  auto snap = f.store.load_latest();
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->data() == data);
}

TEMPLATE_TEST_CASE("file_snapshot_store: a corrupt newest snapshot falls "
                   "back to the previous one with a warning",
                   "[unit]", file_snaps, sealed_file_snaps) {
  TestType f;
  REQUIRE(f.store.save(meta(10, 1), "old state"));
  REQUIRE(f.store.save(meta(20, 1), "new state"));
  auto newest = f.store.files().front();
  SECTION("a flipped data byte") {
    flip_byte(newest, 6);
  }
  SECTION("a truncated file") {
    std::filesystem::resize_file(newest, 20);
  }
  SECTION("a flipped checksum") {
    flip_byte(newest, 1);
  }
  auto snap = f.store.load_latest();
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->metadata().index() == 10);
  CHECK((*snap)->data() == "old state");
  REQUIRE(f.warnings.size() == 1);
  CHECK_THAT(f.warnings[0],
             Catch::StartsWith("snapshot " + newest + " is corrupt"));
}

TEMPLATE_TEST_CASE("file_snapshot_store: if every snapshot is corrupt, load "
                   "fails",
                   "[unit]", file_snaps, sealed_file_snaps) {
  TestType f;
  REQUIRE(f.store.save(meta(10, 1), "only"));
  flip_byte(f.store.files().front(), 3);
  auto snap = f.store.load_latest();
  REQUIRE_FALSE(snap);
  CHECK(snap.error().code == errc::data_corrupt);
  CHECK_THAT(snap.error().message, Catch::Contains("are corrupt"));
}

TEST_CASE("file_snapshot_store: a leftover tmp file is never loaded and is "
          "cleaned up by the next save",
          "[unit]") {
  file_snaps f;
  REQUIRE(f.store.save(meta(10, 1), "good"));
  auto tmp = f.dir.path() + "/snap-0000000000000002-0000000000000063.tmp";
  std::ofstream{tmp} << "half written";
  auto snap = f.store.load_latest();
  REQUIRE(snap);
  CHECK((*snap)->metadata().index() == 10);
  REQUIRE(f.store.save(meta(11, 1), "better"));
  CHECK_FALSE(std::filesystem::exists(tmp));
}

TEST_CASE("file_snapshot_store: saving into a missing dir fails cleanly",
          "[unit]") {
  tmp_dir dir;
  file_snapshot_store store{dir.path() + "/gone", 1, nullptr};
  auto st = store.save(meta(1, 1), "x");
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::internal);
  CHECK_THAT(st.error().message, Catch::StartsWith("cannot write snapshot"));
}

namespace {

/// A stand-in for the store's state: a message with many repeated fields.
pb::ConfState big_state(size_t n) {
  pb::ConfState x;
  for (size_t i = 0; i < n; ++i) {
    auto* m = x.add_voters();
    m->set_raft_id(i + 1);
    m->set_node_id("node-" + std::to_string(i));
    m->set_addr("127.0.0." + std::to_string(i % 250 + 1) + ":2377");
  }
  return x;
}

} // namespace

TEMPLATE_TEST_CASE("snapshot_store: a message streams in and out without a "
                   "serialized copy",
                   "[unit]", memory_snaps, file_snaps, sealed_file_snaps) {
  TestType f;
  pb::ConfState out;
  out.add_voters()->set_raft_id(99); // cleared by the load
  auto none = f.store.load_latest_message(out);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  CHECK(out.voters_size() == 0);
  auto state = big_state(20000);
  REQUIRE(f.store.save_message(meta(40, 3), state));
  auto loaded = f.store.load_latest_message(out);
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->index() == 40);
  CHECK(out.SerializeAsString() == state.SerializeAsString());
  // Both save flavours write the same thing.
  auto bytes = f.store.load_latest();
  REQUIRE(bytes);
  CHECK((*bytes)->data() == state.SerializeAsString());
}

TEMPLATE_TEST_CASE("snapshot_store: data that does not parse as the state "
                   "counts as corrupt",
                   "[unit]", memory_snaps, file_snaps, sealed_file_snaps) {
  TestType f;
  REQUIRE(f.store.save_message(meta(10, 1), big_state(3)));
  REQUIRE(f.store.save(meta(20, 1), std::string("\xff\xff\xff", 3)));
  pb::ConfState out;
  auto loaded = f.store.load_latest_message(out);
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->index() == 10);
  CHECK(out.voters_size() == 3);
}

TEST_CASE("file_snapshot_store: a corrupt newest snapshot falls back when "
          "streaming into a message too",
          "[unit]") {
  file_snaps f;
  REQUIRE(f.store.save_message(meta(10, 1), big_state(5)));
  REQUIRE(f.store.save_message(meta(20, 1), big_state(6000)));
  flip_byte(f.store.files().front(), 100);
  pb::ConfState out;
  auto loaded = f.store.load_latest_message(out);
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->index() == 10);
  CHECK(out.voters_size() == 5);
  CHECK(f.warnings.size() == 1);
}
