// The autolock half of data_dir (data_dir.hpp): the key file and the
// conversions of the stores between plain and sealed.

#include <cerrno>

#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <spdlog/spdlog.h>

#include "messages/docker_text.hpp"
#include "persistence/data_dir.hpp"
#include "persistence/file_snapshot_store.hpp"
#include "persistence/file_util.hpp"
#include "persistence/rocksdb_log_store.hpp"

namespace actorswarm::persistence {

bool data_dir::is_locked(const std::string& path) {
  return ::access((path + "/" + key_file_name).c_str(), F_OK) == 0;
}

bool data_dir::is_locked_failure(const failure& x) {
  return x.code == errc::refused && x.message == docker_text::swarm_locked();
}

bool data_dir::holds_no_raft_data() const {
  // Plain: a sealed entry fails the load, which is what we want to know.
  auto log = rocksdb_log_store::load(db_, cfs_[1], cfs_[2]);
  if (!log)
    return false;
  auto& x = **log;
  bool empty = x.last_index() == 0 && x.snapshot().index == 0
               && x.hard_state().ByteSizeLong() == 0;
  return empty
         && file_snapshot_store{path_ + "/snapshots", 0, nullptr}
              .files()
              .empty();
}

status data_dir::load_key(const data_dir_options& opts) {
  auto key_path = path_ + "/" + key_file_name;
  std::string file;
  int err = read_small_file(key_path, file);
  if (err == ENOENT)
    return ok_status();
  if (err != 0)
    return fail(errc::refused,
                "cannot read " + key_path + ": " + errno_text(err));
  if (!opts.unlock_key) {
    if (!holds_no_raft_data())
      return fail(errc::refused, docker_text::swarm_locked());
    // Left or demoted (the Raft data was cleared): nothing sealed is left,
    // and Docker locks managers only.
    spdlog::info("persistence: {} holds no Raft data; unlocked", path_);
    return remove_key_file();
  }
  auto unlock = at_rest::parse_unlock_key(*opts.unlock_key);
  if (!unlock)
    return fail(errc::refused, docker_text::invalid_unlock_key());
  auto dek = at_rest::unwrap_dek(file, *unlock);
  if (!dek) {
    if (dek.error().code == errc::refused)
      return fail(errc::refused, docker_text::invalid_unlock_key());
    return fail(errc::internal,
                "key file " + key_path + " is corrupt: " + dek.error().message);
  }
  cipher_ = std::make_shared<const at_rest::cipher>(dek->dek);
  unlock_ = *unlock;
  key_state_ = dek->state;
  return ok_status();
}

std::optional<std::string> data_dir::unlock_key() const {
  if (!unlock_)
    return std::nullopt;
  return at_rest::format_unlock_key(*unlock_);
}

namespace {

/// `key` parsed, or a fresh key if none.
result<at_rest::key> key_or_fresh(const std::optional<std::string>& key) {
  if (!key)
    return at_rest::random_key();
  return at_rest::parse_unlock_key(*key);
}

} // namespace

result<std::string> data_dir::enable_autolock(std::optional<std::string> key) {
  if (cipher_)
    return *unlock_key();
  auto unlock = key_or_fresh(key);
  if (!unlock)
    return unlock.error();
  cipher_ = std::make_shared<const at_rest::cipher>(at_rest::random_key());
  unlock_ = *unlock;
  // Key file first: a crash before the stores are sealed leaves a dir the
  // next open finishes converting; the other order could lose the DEK.
  if (auto st = write_key_file(at_rest::key_state::enabling); !st) {
    cipher_.reset();
    unlock_.reset();
    return st.error();
  }
  if (auto st = reseal(cipher_); !st)
    return st.error();
  if (auto st = write_key_file(at_rest::key_state::on); !st)
    return st.error();
  return *unlock_key();
}

status data_dir::disable_autolock() {
  if (!cipher_)
    return ok_status();
  if (auto st = write_key_file(at_rest::key_state::disabling); !st)
    return st;
  if (auto st = reseal(nullptr); !st)
    return st;
  if (auto st = remove_key_file(); !st)
    return st;
  cipher_.reset();
  unlock_.reset();
  key_state_ = at_rest::key_state::on;
  return ok_status();
}

result<std::string>
data_dir::rotate_unlock_key(std::optional<std::string> key) {
  if (!cipher_)
    return fail(errc::refused, docker_text::cannot_rotate_unlock_key());
  auto unlock = key_or_fresh(key);
  if (!unlock)
    return unlock.error();
  auto previous = *unlock_;
  unlock_ = *unlock;
  // One atomic rename: the old key opens the dir until it, the new after.
  if (auto st = write_key_file(at_rest::key_state::on); !st) {
    unlock_ = previous;
    return st.error();
  }
  return *unlock_key();
}

status data_dir::reseal(std::shared_ptr<const at_rest::cipher> next) {
  rocksdb_log_->reseal(next);
  // The values the reseal replaced still sit in the memtable, the WAL and
  // older SST files: flush every family (a WAL file goes once no family
  // needs it) and compact the log's, so no live file keeps them.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  auto st = db_->Flush(flush, cfs_);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction
    = rocksdb::BottommostLevelCompaction::kForce;
  if (st.ok())
    st = db_->CompactRange(compact, cfs_[1], nullptr, nullptr);
  if (!st.ok())
    return fail(errc::internal, "cannot compact the raft log of " + path_
                                  + " after resealing it: " + st.ToString());
  return file_snapshots_->reseal(next);
}

status data_dir::write_key_file(at_rest::key_state state) {
  auto content = at_rest::wrap_dek(cipher_->dek(), *unlock_, state);
  if (int err = write_file_durably(path_, key_file_name, content))
    return fail(errc::internal, "cannot write " + path_ + "/" + key_file_name
                                  + ": " + errno_text(err));
  key_state_ = state;
  return ok_status();
}

status data_dir::remove_key_file() {
  auto key_path = path_ + "/" + key_file_name;
  if (::unlink(key_path.c_str()) != 0 && errno != ENOENT)
    return fail(errc::internal,
                "cannot remove " + key_path + ": " + errno_text(errno));
  if (int err = fsync_dir(path_))
    return fail(errc::internal,
                "cannot sync " + path_ + ": " + errno_text(err));
  return ok_status();
}

} // namespace actorswarm::persistence
