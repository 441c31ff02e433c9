#include "persistence/data_dir.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <spdlog/spdlog.h>

#include "persistence/file_snapshot_store.hpp"
#include "persistence/file_util.hpp"
#include "persistence/rocksdb_log_store.hpp"
#include "persistence/rocksdb_node_stores.hpp"
#include "persistence/rocksdb_util.hpp"

namespace fs = std::filesystem;

namespace actorswarm::persistence {

namespace {

constexpr const char* lock_name = "daemon.lock";
constexpr const char* format_name = "FORMAT";

// Order matters: cfs_[i] is the handle of cf_names[i].
const std::vector<std::string> cf_names = {rocksdb::kDefaultColumnFamilyName,
                                           cf_raft_log, cf_raft_state,
                                           cf_task_records, cf_node_state};

std::string dir_label(const std::string& path) {
  return "data dir " + path;
}

/// Makes sure `path` is a directory, creating it (0700) if allowed.
status prepare_dir(const std::string& path, bool create) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (fs::exists(st))
    return fs::is_directory(st)
             ? ok_status()
             : status{
               fail(errc::refused, dir_label(path) + " is not a directory")};
  if (!create)
    return fail(errc::not_found, dir_label(path) + " does not exist");
  if (!fs::create_directories(path, ec) && ec)
    return fail(errc::refused,
                "cannot create " + dir_label(path) + ": " + ec.message());
  ::chmod(path.c_str(), 0700);
  return ok_status();
}

// FORMAT while the database is being created: a crash then leaves a dir
// that is ours and may be initialized again. Once FORMAT says plain
// data_format_v1, a missing database is corruption (a Raft voter that forgot
// its log and votes breaks safety), never a reason to start empty.
std::string initializing_marker() {
  return std::string{data_format_v1} + " initializing";
}

/// Checks the FORMAT marker. Returns true if the dir needs initializing.
result<bool> check_format(const std::string& path, bool create) {
  std::string content;
  int err = read_small_file(path + "/" + format_name, content);
  if (err == 0) {
    while (!content.empty()
           && (content.back() == '\n' || content.back() == ' '))
      content.pop_back();
    if (content == data_format_v1)
      return false;
    if (content == initializing_marker()) {
      if (!create)
        return fail(errc::not_found, dir_label(path) + " is not initialized");
      return true;
    }
    return fail(errc::refused, dir_label(path) + " has an unsupported format ("
                                 + format_name + " says \""
                                 + content.substr(0, 64) + "\", expected \""
                                 + data_format_v1 + "\"); refusing to use it");
  }
  if (err != ENOENT)
    return fail(errc::refused, "cannot read " + path + "/" + format_name + ": "
                                 + errno_text(err));
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(path, ec))
    if (de.path().filename() != lock_name)
      return fail(errc::refused, dir_label(path)
                                   + " does not belong to actorswarm"
                                     " (no FORMAT marker); refusing to use it");
  if (ec)
    return fail(errc::refused,
                "cannot list " + dir_label(path) + ": " + ec.message());
  if (!create)
    return fail(errc::not_found, dir_label(path) + " is not initialized");
  return true;
}

/// Takes the exclusive lock and records our pid. Returns the lock's fd.
result<int> lock_dir(const std::string& path) {
  auto lock_path = path + "/" + lock_name;
  // O_CLOEXEC: task processes we start must not inherit (and keep) the lock.
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(errc::refused,
                "cannot open " + lock_path + ": " + errno_text(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK)
      return fail(errc::refused,
                  "cannot lock " + lock_path + ": " + errno_text(err));
    std::string pid;
    read_small_file(lock_path, pid);
    while (!pid.empty() && pid.back() == '\n')
      pid.pop_back();
    return fail(errc::refused,
                dir_label(path)
                  + " is in use by another actorswarm daemon (pid "
                  + (pid.empty() ? "unknown" : pid) + ")");
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0)
    spdlog::warn("persistence: cannot record pid in {}: {}", lock_path,
                 errno_text(errno));
  return fd;
}

} // namespace

data_dir::data_dir(std::string path) : path_(std::move(path)) {
  // nop
}

data_dir::~data_dir() {
  log_.reset();
  snapshots_.reset();
  task_records_.reset();
  node_state_.reset();
  if (db_ != nullptr) {
    for (auto* cf : cfs_)
      db_->DestroyColumnFamilyHandle(cf);
    auto st = db_->Close();
    if (!st.ok())
      spdlog::warn("persistence: closing {}: {}", dir_label(path_),
                   st.ToString());
    delete db_;
  }
  if (lock_fd_ >= 0)
    ::close(lock_fd_); // releases the flock
}

result<std::unique_ptr<data_dir>>
data_dir::open(const std::string& path, bool create, data_dir_options opts) {
  if (auto st = prepare_dir(path, create); !st)
    return st.error();
  // Checked before locking, so we never drop a lock file into a foreign dir,
  // and again after, since another daemon may have initialized it meanwhile.
  if (auto fmt = check_format(path, create); !fmt)
    return fmt.error();
  std::unique_ptr<data_dir> self{new data_dir(path)};
  auto fd = lock_dir(path);
  if (!fd)
    return fd.error();
  self->lock_fd_ = *fd;
  auto needs_init = check_format(path, create);
  if (!needs_init)
    return needs_init.error();
  if (*needs_init) {
    if (int err = write_file_durably(path, format_name,
                                     initializing_marker() + "\n"))
      return fail(errc::refused, "cannot initialize " + dir_label(path) + ": "
                                   + errno_text(err));
  }
  std::error_code ec;
  fs::create_directories(path + "/snapshots", ec);
  if (ec)
    return fail(errc::refused,
                "cannot create " + path + "/snapshots: " + ec.message());
  ::chmod((path + "/snapshots").c_str(), 0700);
  if (auto st = self->open_db(*needs_init); !st)
    return st.error();
  if (auto st = self->load_key(opts); !st)
    return st.error();
  if (auto st = self->open_stores(opts); !st)
    return st.error();
  if (*needs_init) {
    if (int err = write_file_durably(path, format_name,
                                     std::string{data_format_v1} + "\n"))
      return fail(errc::refused, "cannot initialize " + dir_label(path) + ": "
                                   + errno_text(err));
  }
  return self;
}

status data_dir::open_db(bool initialize) {
  auto db_path = path_ + "/db";
  std::error_code ec;
  if (!initialize && !fs::exists(db_path + "/CURRENT", ec))
    return fail(errc::data_corrupt, dir_label(path_)
                                      + " is corrupt: its database " + db_path
                                      + " is missing; refusing to start "
                                        "with an empty Raft log");
  rocksdb::DBOptions opts;
  opts.create_if_missing = initialize;
  opts.create_missing_column_families = true;
  opts.keep_log_file_num = 4;
  auto corruption = set_failure_handling(opts);
  // Open every family the database has, or RocksDB refuses; ours are added.
  std::vector<std::string> names = cf_names;
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(opts, db_path, &existing).ok())
    for (auto& x : existing)
      if (std::find(names.begin(), names.end(), x) == names.end())
        names.push_back(x);
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (auto& x : names)
    descs.emplace_back(x, rocksdb::ColumnFamilyOptions{});
  auto st = rocksdb::DB::Open(opts, db_path, descs, &cfs_, &db_);
  if (st.ok())
    return ok_status();
  db_ = nullptr;
  cfs_.clear();
  if (st.IsCorruption()) {
    // RocksDB's own line names the damaged file.
    auto what = corruption();
    return fail(errc::data_corrupt, dir_label(path_) + " is corrupt: "
                                      + (what.empty() ? st.ToString() : what));
  }
  if (is_no_space(st))
    return fail(errc::no_space, dir_label(path_)
                                  + ": no space left on device to open its "
                                    "database: "
                                  + st.ToString());
  return fail(errc::internal, dir_label(path_) + ": cannot open its database: "
                                + st.ToString());
}

status data_dir::open_stores(const data_dir_options& opts) {
  // A conversion a crash interrupted has records of both kinds.
  bool mixed = cipher_ && key_state_ != at_rest::key_state::on;
  auto log = rocksdb_log_store::load(db_, cfs_[1], cfs_[2], cipher_, mixed);
  if (!log)
    return fail(errc::data_corrupt,
                dir_label(path_) + " is corrupt: " + log.error().message);
  rocksdb_log_ = log->get();
  log_ = std::move(*log);
  warn_fn warn = opts.warn;
  if (!warn)
    warn = [](const std::string& msg) { spdlog::warn("persistence: {}", msg); };
  auto snaps = std::make_unique<file_snapshot_store>(path_ + "/snapshots",
                                                     opts.snapshot_keep_old,
                                                     std::move(warn), cipher_,
                                                     mixed);
  file_snapshots_ = snaps.get();
  snapshots_ = std::move(snaps);
  task_records_ = std::make_unique<rocksdb_task_record_store>(db_, cfs_[3]);
  node_state_ = std::make_unique<rocksdb_kv_store>(db_, cfs_[4]);
  if (!mixed)
    return ok_status();
  // Finish the conversion the key file names.
  if (key_state_ == at_rest::key_state::enabling) {
    if (auto st = reseal(cipher_); !st)
      return st;
    return write_key_file(at_rest::key_state::on);
  }
  return disable_autolock();
}

} // namespace actorswarm::persistence
