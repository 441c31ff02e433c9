// Autolock at the data dir (data_dir.hpp): a locked dir opens with its
// unlock key only, its Raft log entries and snapshots are sealed at rest, a
// flipped byte in either is a clear refusal, and turning autolock on or
// off, rotating the key, and a crash in the middle of a conversion all keep
// the data.

#include "persistence/data_dir.hpp"

#include <fstream>
#include <iterator>

#include <rocksdb/db.h>

#include <catch2/catch.hpp>

#include "messages/docker_text.hpp"
#include "persistence/file_snapshot_store.hpp"
#include "persistence/file_util.hpp"
#include "persistence/rocksdb_util.hpp"
#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace {

const std::string secret = "service web: command=sh -c 'echo s3cr3t-payload'";

pb::Entry make_entry(uint64_t index, uint64_t term) {
  pb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(secret + " #" + std::to_string(index));
  return e;
}

void append(log_store& log, uint64_t n) {
  log_write w;
  for (uint64_t i = 1; i <= n; ++i)
    w.entries.push_back(make_entry(log.last_index() + i, 1));
  log.save(w);
}

pb::SnapshotMetadata meta(uint64_t index, uint64_t term) {
  pb::SnapshotMetadata x;
  x.set_index(index);
  x.set_term(term);
  return x;
}

result<std::unique_ptr<data_dir>> open_with(const std::string& path,
                                            std::optional<std::string> key) {
  data_dir_options opts;
  opts.unlock_key = std::move(key);
  opts.warn = [](const std::string&) {};
  return data_dir::open(path, true, opts);
}

std::unique_ptr<data_dir> must_open_with(const std::string& path,
                                         const std::string& key) {
  auto r = open_with(path, key);
  if (!r)
    FAIL("open " << path << ": " << r.error().message);
  return std::move(*r);
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

/// Every file under `dir` (the database and snapshots), concatenated.
std::string all_bytes(const std::string& dir) {
  std::string out;
  for (auto& de : std::filesystem::recursive_directory_iterator(dir))
    if (de.is_regular_file())
      out += read_file(de.path().string());
  return out;
}

/// Opens the closed data dir's database directly and applies `f` to the
/// stored value of entry `index` (a flipped bit, a plain copy, ...).
template <class F>
void edit_stored_entry(const std::string& dir, uint64_t index, F f) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto* n : {rocksdb::kDefaultColumnFamilyName.c_str(), cf_raft_log,
                  cf_raft_state, cf_task_records, cf_node_state})
    descs.emplace_back(n, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  rocksdb::DB* db = nullptr;
  REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions{}, dir + "/db", descs, &cfs, &db)
            .ok());
  std::string value;
  REQUIRE(
    db->Get(rocksdb::ReadOptions{}, cfs[1], index_key(index), &value).ok());
  f(value);
  REQUIRE(db->Put(write_options(true), cfs[1], index_key(index), value).ok());
  for (auto* cf : cfs)
    db->DestroyColumnFamilyHandle(cf);
  delete db;
}

void flip_byte_at(const std::string& path, long offset_from_end) {
  std::fstream f{path, std::ios::in | std::ios::out | std::ios::binary};
  f.seekg(-offset_from_end, std::ios::end);
  char c = 0;
  f.get(c);
  f.seekp(-offset_from_end, std::ios::end);
  f.put(static_cast<char>(c ^ 0x10));
  REQUIRE(f.good());
}

/// A dir with 5 entries and a snapshot at 3, then autolock turned on.
struct locked_dir {
  tmp_dir dir;
  std::string key;

  locked_dir() {
    auto dd = must_open(dir.path());
    append(dd->log(), 5);
    REQUIRE(dd->snapshots().save(meta(3, 1), secret + " snapshot"));
    auto k = dd->enable_autolock();
    REQUIRE(k);
    key = *k;
    CHECK(dd->autolock());
    CHECK(dd->unlock_key() == key);
  }

  std::string snapshot_path() const {
    return file_snapshot_store{dir.path() + "/snapshots", 1, nullptr}
      .files()
      .front();
  }
};

void check_content(data_dir& dd) {
  auto es = dd.log().entries(1, 6, no_size_limit_bytes);
  REQUIRE(es);
  REQUIRE(es->size() == 5);
  for (auto& e : *es)
    CHECK(e.data() == make_entry(e.index(), 1).data());
  auto snap = dd.snapshots().load_latest();
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->data() == secret + " snapshot");
}

} // namespace

TEST_CASE("autolock: entries and snapshots are sealed at rest and read back "
          "with the key",
          "[unit]") {
  locked_dir d;
  CHECK(data_dir::is_locked(d.dir.path()));
  CHECK(all_bytes(d.dir.path()).find("s3cr3t-payload") == std::string::npos);
  CHECK(read_file(d.snapshot_path()).substr(0, 8) == "ASSNAPE1");
  auto dd = must_open_with(d.dir.path(), d.key);
  CHECK(dd->autolock());
  check_content(*dd);
  append(dd->log(), 2);
  REQUIRE(dd->snapshots().save(meta(7, 1), secret + " snapshot"));
  dd.reset();
  CHECK(all_bytes(d.dir.path()).find("s3cr3t-payload") == std::string::npos);
  dd = must_open_with(d.dir.path(), d.key);
  auto es = dd->log().entries(6, 8, no_size_limit_bytes);
  REQUIRE(es);
  CHECK(es->back().data() == make_entry(7, 1).data());
}

TEST_CASE("autolock: a locked dir refuses to open without its key, with "
          "docker's texts",
          "[unit]") {
  locked_dir d;
  auto none = open_with(d.dir.path(), std::nullopt);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::refused);
  CHECK(none.error().message == docker_text::swarm_locked());
  for (const std::string& bad :
       {at_rest::format_unlock_key(at_rest::random_key()), std::string{"nope"},
        d.key.substr(0, d.key.size() - 2)}) {
    auto wrong = open_with(d.dir.path(), bad);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == errc::refused);
    CHECK(wrong.error().message
          == "swarm could not be unlocked: invalid key provided");
  }
  // The refusals changed nothing.
  auto dd = must_open_with(d.dir.path(), d.key);
  check_content(*dd);
}

TEST_CASE("autolock: a flipped byte in a stored entry refuses the start",
          "[unit]") {
  locked_dir d;
  edit_stored_entry(d.dir.path(), 4, [](std::string& v) {
    v[v.size() / 2] = static_cast<char>(v[v.size() / 2] ^ 0x01);
  });
  auto r = open_with(d.dir.path(), d.key);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::data_corrupt);
  CHECK(r.error().message
        == "data dir " + d.dir.path()
             + " is corrupt: raft log entry 4: data dir corrupt or wrong "
               "unlock key");
}

TEST_CASE("autolock: an entry moved to another index refuses the start",
          "[unit]") {
  locked_dir d;
  std::string fifth;
  edit_stored_entry(d.dir.path(), 5, [&](std::string& v) { fifth = v; });
  edit_stored_entry(d.dir.path(), 2, [&](std::string& v) { v = fifth; });
  auto r = open_with(d.dir.path(), d.key);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::EndsWith("raft log entry 2: data dir corrupt or wrong "
                             "unlock key"));
}

TEST_CASE("autolock: a plain entry slipped into a sealed log refuses the "
          "start (no downgrade)",
          "[unit]") {
  locked_dir d;
  edit_stored_entry(d.dir.path(), 3, [](std::string& v) {
    v = make_entry(3, 1).SerializeAsString();
  });
  auto r = open_with(d.dir.path(), d.key);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::EndsWith("raft log entry 3 is not encrypted although "
                             "autolock is on: data dir corrupt or wrong "
                             "unlock key"));
}

TEST_CASE("autolock: a sealed log without its key file refuses the start",
          "[unit]") {
  locked_dir d;
  std::filesystem::remove(d.dir.path() + "/" + key_file_name);
  auto r = open_with(d.dir.path(), std::nullopt);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::EndsWith("raft log entry 5 is encrypted (autolock) and "
                             "no unlock key was given"));
}

TEST_CASE("autolock: a flipped byte in a sealed snapshot is refused, never "
          "loaded",
          "[unit]") {
  locked_dir d;
  flip_byte_at(d.snapshot_path(), 30);
  std::vector<std::string> warnings;
  data_dir_options opts;
  opts.unlock_key = d.key;
  opts.warn = [&](const std::string& x) { warnings.push_back(x); };
  auto dd = data_dir::open(d.dir.path(), true, opts);
  REQUIRE(dd);
  auto snap = (*dd)->snapshots().load_latest();
  REQUIRE_FALSE(snap);
  CHECK(snap.error().code == errc::data_corrupt);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0]
        == "snapshot " + d.snapshot_path()
             + " is corrupt: data dir corrupt or wrong unlock key; trying an "
               "older snapshot");
}

TEST_CASE("autolock: rotating the unlock key keeps the data, the old key "
          "stops working",
          "[unit]") {
  locked_dir d;
  auto before = all_bytes(d.dir.path() + "/snapshots");
  std::string rotated;
  {
    auto dd = must_open_with(d.dir.path(), d.key);
    auto k = dd->rotate_unlock_key();
    REQUIRE(k);
    rotated = *k;
    CHECK(rotated != d.key);
    CHECK(dd->unlock_key() == rotated);
    check_content(*dd);
  }
  // The data was not re-encrypted: only the key file changed.
  CHECK(all_bytes(d.dir.path() + "/snapshots") == before);
  auto old = open_with(d.dir.path(), d.key);
  REQUIRE_FALSE(old);
  CHECK(old.error().message == docker_text::invalid_unlock_key());
  auto dd = must_open_with(d.dir.path(), rotated);
  check_content(*dd);
}

TEST_CASE("autolock: rotation without autolock is refused with docker's text",
          "[unit]") {
  tmp_dir dir;
  auto dd = must_open(dir.path());
  auto r = dd->rotate_unlock_key();
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "cannot rotate because autolock is not turned on");
  CHECK_FALSE(dd->unlock_key());
  CHECK_FALSE(data_dir::is_locked(dir.path()));
}

TEST_CASE("autolock: turning it off writes everything plain and unlocks the "
          "dir",
          "[unit]") {
  locked_dir d;
  {
    auto dd = must_open_with(d.dir.path(), d.key);
    REQUIRE(dd->disable_autolock());
    CHECK_FALSE(dd->autolock());
    CHECK_FALSE(dd->unlock_key());
    check_content(*dd);
  }
  CHECK_FALSE(data_dir::is_locked(d.dir.path()));
  CHECK(read_file(d.snapshot_path()).substr(0, 8) == "ASSNAP01");
  auto dd = must_open_with(d.dir.path(), "ignored when not locked");
  CHECK_FALSE(dd->autolock());
  check_content(*dd);
}

TEST_CASE("autolock: a crash while turning it on is finished at the next "
          "start",
          "[unit]") {
  tmp_dir dir;
  {
    auto dd = must_open(dir.path());
    append(dd->log(), 5);
    REQUIRE(dd->snapshots().save(meta(3, 1), secret + " snapshot"));
  }
  // The key file of an interrupted enable_autolock, data still plain.
  auto unlock = at_rest::random_key();
  REQUIRE(write_file_durably(dir.path(), key_file_name,
                             at_rest::wrap_dek(at_rest::random_key(), unlock,
                                               at_rest::key_state::enabling))
          == 0);
  auto key = at_rest::format_unlock_key(unlock);
  {
    auto dd = must_open_with(dir.path(), key);
    CHECK(dd->autolock());
    check_content(*dd);
  }
  CHECK(all_bytes(dir.path()).find("s3cr3t-payload") == std::string::npos);
  // Finished: now a plain entry is refused again.
  edit_stored_entry(dir.path(), 2, [](std::string& v) {
    v = make_entry(2, 1).SerializeAsString();
  });
  REQUIRE_FALSE(open_with(dir.path(), key));
}

TEST_CASE("autolock: a crash while turning it off is finished at the next "
          "start",
          "[unit]") {
  locked_dir d;
  std::string file;
  REQUIRE(read_small_file(d.dir.path() + "/" + key_file_name, file) == 0);
  auto unlock = at_rest::parse_unlock_key(d.key);
  REQUIRE(unlock);
  auto dek = at_rest::unwrap_dek(file, *unlock);
  REQUIRE(dek);
  REQUIRE(write_file_durably(d.dir.path(), key_file_name,
                             at_rest::wrap_dek(dek->dek, *unlock,
                                               at_rest::key_state::disabling))
          == 0);
  // One entry already plain, as if the crash hit after the log's batch.
  edit_stored_entry(d.dir.path(), 1, [](std::string& v) {
    v = make_entry(1, 1).SerializeAsString();
  });
  {
    auto dd = must_open_with(d.dir.path(), d.key);
    CHECK_FALSE(dd->autolock());
    check_content(*dd);
  }
  CHECK_FALSE(data_dir::is_locked(d.dir.path()));
  auto dd = must_open(d.dir.path());
  check_content(*dd);
}

TEST_CASE("autolock: a locked dir whose Raft data was cleared (its node left "
          "or was demoted) opens without a key, unlocked",
          "[unit]") {
  locked_dir d;
  {
    auto dd = must_open_with(d.dir.path(), d.key);
    dd->log().clear();
    dd->snapshots().clear();
  }
  auto dd = open_with(d.dir.path(), std::nullopt);
  REQUIRE(dd);
  CHECK_FALSE((*dd)->autolock());
  CHECK_FALSE(data_dir::is_locked(d.dir.path()));
  CHECK((*dd)->log().last_index() == 0);
}

TEST_CASE("autolock: the locked refusal is told apart from other failures",
          "[unit]") {
  locked_dir d;
  auto r = open_with(d.dir.path(), std::nullopt);
  REQUIRE_FALSE(r);
  CHECK(data_dir::is_locked_failure(r.error()));
  auto wrong = open_with(d.dir.path(), "SWMKEY-1-nope");
  REQUIRE_FALSE(wrong);
  CHECK_FALSE(data_dir::is_locked_failure(wrong.error()));
}
