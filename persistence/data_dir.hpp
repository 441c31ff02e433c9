#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "persistence/kv_store.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/task_record_store.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
} // namespace rocksdb

namespace actorswarm::persistence {

/// Content of `<dir>/FORMAT`, the marker that a dir is ours.
constexpr const char* data_format_v1 = "actorswarm-data-v1";

/// Tunables of a data dir (defaults in one place, STYLE.md R11).
struct data_dir_options {
  /// Snapshots kept besides the newest (fallbacks if it is corrupt).
  size_t snapshot_keep_old = 1;
  /// Sink for trouble recovered from; default: spdlog warn.
  warn_fn warn;
};

/// The daemon's `--data-dir`: one exclusive owner (flock on
/// `<dir>/daemon.lock`, holding the owner's pid), a format marker
/// (`<dir>/FORMAT`), ONE RocksDB database at `<dir>/db` with column families
/// raft_log, raft_state, task_records and node_state, and snapshot files in
/// `<dir>/snapshots/`. Owns the stores; they live as long as it does.
/// Closing (destruction) releases the lock.
class data_dir {
public:
  /// Opens (with `create`: creates, mode 0700, and initializes) the data dir
  /// at `path`. Fails, never throws or crashes, with a one-line message:
  /// - errc::refused: in use by another daemon (names its pid); not ours (a
  ///   non-empty dir without FORMAT); an unsupported FORMAT; not a directory.
  /// - errc::not_found: missing or uninitialized and `create` is false.
  /// - errc::internal: the database is corrupt, missing (after FORMAT was
  ///   written) or cannot be opened.
  static result<std::unique_ptr<data_dir>>
  open(const std::string& path, bool create, data_dir_options opts = {});

  ~data_dir();

  data_dir(const data_dir&) = delete;
  data_dir& operator=(const data_dir&) = delete;

  /// The path given to open.
  const std::string& path() const noexcept {
    return path_;
  }

  /// The Raft log and hard state.
  log_store& log() {
    return *log_;
  }

  /// Raft snapshots in `<dir>/snapshots/`.
  snapshot_store& snapshots() {
    return *snapshots_;
  }

  /// The worker's records of the task processes it started.
  task_record_store& task_records() {
    return *task_records_;
  }

  /// Small node-local state (node id, cluster id, ...).
  kv_store& node_state() {
    return *node_state_;
  }

private:
  explicit data_dir(std::string path);

  status open_db(bool initialize);

  status open_stores(const data_dir_options& opts);

  std::string path_;
  int lock_fd_ = -1;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::unique_ptr<log_store> log_;
  std::unique_ptr<snapshot_store> snapshots_;
  std::unique_ptr<task_record_store> task_records_;
  std::unique_ptr<kv_store> node_state_;
};

} // namespace actorswarm::persistence
