#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "persistence/at_rest.hpp"
#include "persistence/kv_store.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"
#include "persistence/task_record_store.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
} // namespace rocksdb

namespace actorswarm::persistence {

class rocksdb_log_store;
class file_snapshot_store;

/// Name of the key file in a locked (autolock) data dir: the DEK wrapped
/// under the unlock key (at_rest.hpp). Its presence is what "locked" means.
constexpr const char* key_file_name = "swarm.key";

/// Content of `<dir>/FORMAT`, the marker that a dir is ours.
constexpr const char* data_format_v1 = "actorswarm-data-v1";

/// Tunables of a data dir (defaults in one place, STYLE.md R11).
struct data_dir_options {
  /// Snapshots kept besides the newest (fallbacks if it is corrupt).
  size_t snapshot_keep_old = 1;
  /// Sink for trouble recovered from; default: spdlog warn.
  warn_fn warn;
  /// The unlock key (`SWMKEY-1-...`) of a locked dir; ignored by a dir that
  /// is not locked.
  std::optional<std::string> unlock_key;
};

/// The daemon's `--data-dir`: one exclusive owner (flock on
/// `<dir>/daemon.lock`, holding the owner's pid), a format marker
/// (`<dir>/FORMAT`), ONE RocksDB database at `<dir>/db` with column families
/// raft_log, raft_state, task_records and node_state, and snapshot files in
/// `<dir>/snapshots/`. Owns the stores; they live as long as it does.
/// Closing (destruction) releases the lock.
///
/// Autolock (SwarmKit's encryption at rest): a dir with a key file
/// (`key_file_name`) is locked. It opens only with its unlock key; then
/// every Raft log entry and snapshot is sealed on write and opened on read
/// under the DEK of the key file (rocksdb_log_store, file_snapshot_store).
/// Task records and node state stay plain: a locked manager's worker keeps
/// running its tasks. Without a key file nothing is encrypted.
class data_dir {
public:
  /// Opens (with `create`: creates, mode 0700, and initializes) the data dir
  /// at `path`. Fails, never throws or crashes, with a one-line message:
  /// - errc::refused: in use by another daemon (names its pid); not ours (a
  ///   non-empty dir without FORMAT); an unsupported FORMAT; not a directory.
  /// - errc::not_found: missing or uninitialized and `create` is false.
  /// - errc::data_corrupt ("data dir <path> is corrupt: <what>"): the
  ///   database is corrupt (RocksDB found a damaged record: WAL, MANIFEST,
  ///   table) or missing (after FORMAT was written); the raft log does not
  ///   match its hard state; a stored entry does not open under the DEK
  ///   ("data dir corrupt or wrong unlock key"). Nothing is changed.
  /// - errc::no_space: the disk is full and the database cannot open.
  /// - errc::internal: the database cannot be opened for another reason.
  /// - errc::refused, docker_text::swarm_locked() (`is_locked_failure`):
  ///   locked, and `opts.unlock_key` is not set. A locked dir that holds no
  ///   Raft data (its node left or was demoted: log, hard state and
  ///   snapshots cleared) opens without a key and is unlocked.
  /// - errc::refused, docker_text::invalid_unlock_key(): the unlock key does
  ///   not parse or does not open the key file.
  /// A conversion a crash interrupted (autolock turned on or off) is
  /// finished here.
  static result<std::unique_ptr<data_dir>>
  open(const std::string& path, bool create, data_dir_options opts = {});

  /// Whether the dir at `path` has a key file. No lock taken; a hint (`open`
  /// decides: see is_locked_failure).
  static bool is_locked(const std::string& path);

  /// Whether `x`, from `open`, means "locked: give the unlock key".
  static bool is_locked_failure(const failure& x);

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

  // -- autolock ---------------------------------------------------------------
  // Caller rule of the autolock methods: one caller at a time (one actor),
  // on any thread: the stores they rewrite lock themselves against the
  // Raft peer's reads and writes. Each conversion is crash-safe: the key
  // file is written first with the conversion's state, the stores
  // rewritten, then the key file finished; `open` completes a conversion a
  // crash cut short.

  /// Whether the Raft log and snapshots are sealed.
  bool autolock() const noexcept {
    return cipher_ != nullptr;
  }

  /// The unlock key (`SWMKEY-1-...`) while autolock is on; none otherwise.
  std::optional<std::string> unlock_key() const;

  /// Turns autolock on: a fresh DEK, the log and snapshots rewritten sealed,
  /// the DEK wrapped under `key` (the cluster's unlock key; a fresh one if
  /// none). Returns the unlock key (the current one if autolock is already
  /// on). Fails (errc::bad_request "invalid key") if `key` does not parse.
  result<std::string> enable_autolock(std::optional<std::string> key = {});

  /// Turns autolock off: the log and snapshots rewritten plain, the key file
  /// removed. No-op if it is off.
  status disable_autolock();

  /// A new unlock key (`key`, or a fresh one) for the same DEK: only the key
  /// file is rewritten, the data stays as it is. Fails (errc::refused,
  /// docker_text::cannot_rotate_unlock_key()) when autolock is off, and
  /// (errc::bad_request "invalid key") if `key` does not parse.
  result<std::string> rotate_unlock_key(std::optional<std::string> key = {});

private:
  explicit data_dir(std::string path);

  status open_db(bool initialize);

  status open_stores(const data_dir_options& opts);

  /// Reads the key file, if any, with `opts.unlock_key`; needs the database.
  status load_key(const data_dir_options& opts);

  /// No log entry, hard state, compaction point or snapshot file.
  bool holds_no_raft_data() const;

  /// Rewrites log and snapshots under `next` (nullptr: plain).
  status reseal(std::shared_ptr<const at_rest::cipher> next);

  /// Writes the key file for the current DEK and unlock key, durably.
  status write_key_file(at_rest::key_state state);

  /// Removes the key file, durably.
  status remove_key_file();

  std::string path_;
  int lock_fd_ = -1;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::unique_ptr<log_store> log_;
  std::unique_ptr<snapshot_store> snapshots_;
  std::unique_ptr<task_record_store> task_records_;
  std::unique_ptr<kv_store> node_state_;
  // The same stores as log_ and snapshots_, for resealing.
  rocksdb_log_store* rocksdb_log_ = nullptr;
  file_snapshot_store* file_snapshots_ = nullptr;
  // Autolock: the DEK's cipher and the unlock key, both or neither; the
  // state of the key file when it was read.
  std::shared_ptr<const at_rest::cipher> cipher_;
  std::optional<at_rest::key> unlock_;
  at_rest::key_state key_state_ = at_rest::key_state::on;
};

} // namespace actorswarm::persistence
