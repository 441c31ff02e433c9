// A damaged RocksDB write-ahead log (issue #9, defect 5): a corrupt record
// in the middle refuses the open with errc::data_corrupt and changes
// nothing; a torn last record (a crash while it was written) is dropped.
// And a hard state that commits past the log is corruption too.

#include "persistence/data_dir.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << bytes;
}

// The live write-ahead log of the data dir at `dir` (db/*.log).
std::string wal_of(const std::string& dir) {
  std::string out;
  for (auto& de : fs::directory_iterator(dir + "/db"))
    if (de.path().extension() == ".log")
      out = de.path().string();
  REQUIRE_FALSE(out.empty());
  return out;
}

// Every file of the data dir with its bytes.
std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& de : fs::recursive_directory_iterator(dir))
    if (de.is_regular_file())
      out[de.path().string()] = read_all(de.path().string());
  return out;
}

std::string payload(uint64_t i) {
  return "entry-payload-" + std::to_string(1000 + i);
}

// A data dir holding entries 1..n, each its own synced save (one WAL
// record each), with the hard state committing them.
void fill(const std::string& dir, uint64_t n) {
  auto dd = must_open(dir);
  for (uint64_t i = 1; i <= n; ++i) {
    log_write w;
    w.entries.emplace_back();
    w.entries.back().set_index(i);
    w.entries.back().set_term(1);
    w.entries.back().set_data(payload(i));
    pb::HardState hs;
    hs.set_term(1);
    hs.set_commit(i);
    w.hard_state = hs;
    dd->log().save(w);
  }
}

} // namespace

TEST_CASE("data_dir: a flipped byte in the middle of the write-ahead log "
          "refuses the start as corrupt and changes nothing",
          "[unit]") {
  tmp_dir tmp;
  fill(tmp.path(), 20);
  auto wal = wal_of(tmp.path());
  auto bytes = read_all(wal);
  auto at = bytes.find(payload(10));
  REQUIRE(at != std::string::npos);
  bytes[at + 3] = static_cast<char>(bytes[at + 3] ^ 0x20);
  write_all(wal, bytes);
  auto before = files_of(tmp.path());
  auto r = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::data_corrupt);
  INFO(r.error().message);
  CHECK_THAT(r.error().message,
             Catch::StartsWith("data dir " + tmp.path() + " is corrupt: "));
  CHECK(r.error().message.find('\n') == std::string::npos);
  CHECK_THAT(r.error().message, Catch::Contains(wal));
  CHECK(files_of(tmp.path()) == before);
}

TEST_CASE("data_dir: a torn last record of the write-ahead log (a crash "
          "while it was written) is dropped, the rest opens",
          "[unit]") {
  tmp_dir tmp;
  fill(tmp.path(), 20);
  auto wal = wal_of(tmp.path());
  auto bytes = read_all(wal);
  auto at = bytes.find(payload(20));
  REQUIRE(at != std::string::npos);
  write_all(wal, bytes.substr(0, at + 4));
  auto dd = must_open(tmp.path());
  CHECK(dd->log().last_index() == 19);
  CHECK(dd->log().hard_state().commit() == 19);
}

TEST_CASE("data_dir: a hard state that commits past the end of the log is "
          "corruption",
          "[unit]") {
  tmp_dir tmp;
  {
    auto dd = must_open(tmp.path());
    log_write w;
    pb::HardState hs;
    hs.set_term(2);
    hs.set_commit(7);
    w.hard_state = hs;
    dd->log().save(w);
  }
  auto r = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::data_corrupt);
  CHECK(r.error().message
        == "data dir " + tmp.path()
             + " is corrupt: raft hard state commits index 7 but the raft log "
               "ends at 0");
}
