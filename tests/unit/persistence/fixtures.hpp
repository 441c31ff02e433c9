#pragma once

// Shared fixtures of the persistence tests: temporary dirs and one fixture
// per store implementation, so TEMPLATE_TEST_CASE runs one suite over all.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "persistence/data_dir.hpp"
#include "persistence/memory_log_store.hpp"
#include "persistence/memory_node_stores.hpp"

namespace actorswarm::persistence::test {

/// A fresh directory under /tmp (mkdtemp), removed with its content.
class tmp_dir {
public:
  tmp_dir() {
    std::string tmpl = "/tmp/as-persistence-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }

  ~tmp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  tmp_dir(const tmp_dir&) = delete;
  tmp_dir& operator=(const tmp_dir&) = delete;

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// Opens `path` as a data dir; the test fails if that does not work.
inline std::unique_ptr<data_dir> must_open(const std::string& path) {
  auto r = data_dir::open(path, true);
  if (!r)
    FAIL("open " << path << ": " << r.error().message);
  return std::move(*r);
}

/// A data dir in a tmp dir; `reopen()` closes and opens it again.
struct rocksdb_fixture {
  static constexpr const char* name = "rocksdb";

  tmp_dir dir;
  std::unique_ptr<data_dir> dd;

  rocksdb_fixture() : dd(must_open(dir.path())) {
    // nop
  }

  void reopen() {
    dd.reset();
    dd = must_open(dir.path());
  }

  log_store& log() {
    return dd->log();
  }

  task_record_store& records() {
    return dd->task_records();
  }

  kv_store& kv() {
    return dd->node_state();
  }
};

/// A data dir in a tmp dir with autolock on: the same conformance suites
/// run over sealed entries; `reopen()` opens it again with its unlock key.
struct sealed_rocksdb_fixture {
  static constexpr const char* name = "rocksdb sealed";

  tmp_dir dir;
  std::unique_ptr<data_dir> dd;
  std::string key;

  sealed_rocksdb_fixture() : dd(must_open(dir.path())) {
    auto k = dd->enable_autolock();
    REQUIRE(k);
    key = *k;
  }

  void reopen() {
    dd.reset();
    data_dir_options opts;
    opts.unlock_key = key;
    auto r = data_dir::open(dir.path(), true, opts);
    if (!r)
      FAIL("open " << dir.path() << ": " << r.error().message);
    dd = std::move(*r);
    REQUIRE(dd->autolock());
  }

  log_store& log() {
    return dd->log();
  }

  task_record_store& records() {
    return dd->task_records();
  }

  kv_store& kv() {
    return dd->node_state();
  }
};

/// The memory twins; `reopen()` is a crash that keeps synced writes.
struct memory_fixture {
  static constexpr const char* name = "memory";

  memory_log_store log_store_;
  memory_task_record_store records_;
  memory_kv_store kv_;

  void reopen() {
    log_store_.crash();
  }

  log_store& log() {
    return log_store_;
  }

  task_record_store& records() {
    return records_;
  }

  kv_store& kv() {
    return kv_;
  }
};

} // namespace actorswarm::persistence::test
