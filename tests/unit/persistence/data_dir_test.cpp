#include "persistence/data_dir.hpp"

#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "unit/persistence/fixtures.hpp"

using namespace actorswarm;
using namespace actorswarm::persistence;
using namespace actorswarm::persistence::test;

namespace {

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::trunc | std::ios::binary};
  out << text;
  REQUIRE(out.good());
}

} // namespace

TEST_CASE("data_dir: creates the dir 0700 with FORMAT, lock and snapshots",
          "[unit]") {
  tmp_dir tmp;
  auto path = tmp.path() + "/var/lib/actorswarm";
  auto dd = must_open(path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  std::ifstream in{path + "/FORMAT"};
  std::string format;
  in >> format;
  CHECK(format == data_format_v1);
  CHECK(std::filesystem::is_directory(path + "/snapshots"));
  CHECK(std::filesystem::is_directory(path + "/db"));
}

TEST_CASE("data_dir: a second open while the first is open fails with "
          "\"in use\" and the owner's pid",
          "[unit]") {
  tmp_dir tmp;
  auto first = must_open(tmp.path());
  auto second = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::refused);
  CHECK(second.error().message
        == "data dir " + tmp.path()
             + " is in use by another actorswarm daemon (pid "
             + std::to_string(::getpid()) + ")");
  first.reset();
  auto third = data_dir::open(tmp.path(), true);
  CHECK(third);
}

TEST_CASE("data_dir: a foreign dir is refused and left untouched", "[unit]") {
  tmp_dir tmp;
  write_text(tmp.path() + "/precious.txt", "not yours");
  auto r = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::refused);
  CHECK(r.error().message
        == "data dir " + tmp.path()
             + " does not belong to actorswarm (no FORMAT marker); refusing "
               "to use it");
  CHECK_FALSE(std::filesystem::exists(tmp.path() + "/daemon.lock"));
  CHECK_FALSE(std::filesystem::exists(tmp.path() + "/FORMAT"));
}

TEST_CASE("data_dir: another FORMAT is refused", "[unit]") {
  tmp_dir tmp;
  write_text(tmp.path() + "/FORMAT", "actorswarm-data-v9\n");
  auto r = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::refused);
  CHECK_THAT(r.error().message,
             Catch::StartsWith("data dir " + tmp.path()
                               + " has an unsupported format")
               && Catch::Contains("actorswarm-data-v9"));
}

TEST_CASE("data_dir: without create, a missing or empty dir is not_found",
          "[unit]") {
  tmp_dir tmp;
  auto missing = data_dir::open(tmp.path() + "/nope", false);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
  CHECK_THAT(missing.error().message, Catch::Contains("does not exist"));
  auto empty = data_dir::open(tmp.path(), false);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == errc::not_found);
  must_open(tmp.path()).reset();
  CHECK(data_dir::open(tmp.path(), false));
}

TEST_CASE("data_dir: a file where the dir should be is refused", "[unit]") {
  tmp_dir tmp;
  write_text(tmp.path() + "/file", "x");
  auto r = data_dir::open(tmp.path() + "/file", true);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::EndsWith("is not a directory"));
}

TEST_CASE("data_dir: a corrupt database is a clear failure, not a crash",
          "[unit]") {
  tmp_dir tmp;
  {
    auto dd = must_open(tmp.path());
    log_write w;
    w.entries.emplace_back();
    w.entries.back().set_index(1);
    w.entries.back().set_term(1);
    dd->log().save(w);
  }
  std::string manifest;
  for (auto& de : std::filesystem::directory_iterator(tmp.path() + "/db"))
    if (de.path().filename().string().rfind("MANIFEST-", 0) == 0)
      manifest = de.path().string();
  REQUIRE_FALSE(manifest.empty());
  write_text(manifest, std::string(4096, '\x5a'));
  auto r = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::data_corrupt);
  INFO(r.error().message);
  CHECK_THAT(r.error().message,
             Catch::StartsWith("data dir " + tmp.path() + " is corrupt: "));
}

TEST_CASE("data_dir: the stores share one database and survive a reopen",
          "[unit]") {
  tmp_dir tmp;
  {
    auto dd = must_open(tmp.path());
    dd->node_state().put("node_id", "abc");
    dd->task_records().put({{"t1", "r1"}});
    pb::SnapshotMetadata meta;
    meta.set_index(5);
    meta.set_term(1);
    REQUIRE(dd->snapshots().save(meta, "state"));
  }
  auto dd = must_open(tmp.path());
  CHECK(dd->node_state().get("node_id") == "abc");
  CHECK(dd->task_records().load_all().size() == 1);
  auto snap = dd->snapshots().load_latest();
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->data() == "state");
}

TEST_CASE("data_dir: a lost database is refused, never started empty",
          "[unit]") {
  tmp_dir tmp;
  must_open(tmp.path()).reset();
  std::filesystem::remove_all(tmp.path() + "/db");
  auto r = data_dir::open(tmp.path(), true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::data_corrupt);
  CHECK_THAT(r.error().message,
             Catch::StartsWith("data dir " + tmp.path() + " is corrupt: ")
               && Catch::Contains("is missing"));
}

TEST_CASE("data_dir: a crash while initializing leaves a dir that "
          "initializes again",
          "[unit]") {
  tmp_dir tmp;
  write_text(tmp.path() + "/FORMAT", "actorswarm-data-v1 initializing\n");
  std::filesystem::create_directories(tmp.path() + "/db");
  CHECK_FALSE(data_dir::open(tmp.path(), false));
  must_open(tmp.path()).reset();
  std::ifstream in{tmp.path() + "/FORMAT"};
  std::string line;
  std::getline(in, line);
  CHECK(line == data_format_v1);
}
