#include "persistence/rocksdb_util.hpp"

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/listener.h>
#include <spdlog/spdlog.h>

namespace actorswarm::persistence {

std::string index_key(uint64_t index) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[static_cast<size_t>(i)] = static_cast<char>(index & 0xff);
    index >>= 8;
  }
  return key;
}

uint64_t decode_index_key(const rocksdb::Slice& key) {
  if (key.size() != 8)
    AS_FAIL_STOP("raft log key of " + std::to_string(key.size())
                 + " bytes: the database is corrupt");
  uint64_t index = 0;
  for (size_t i = 0; i < 8; ++i)
    index = (index << 8) | static_cast<uint8_t>(key[i]);
  return index;
}

rocksdb::WriteOptions write_options(bool sync) {
  rocksdb::WriteOptions opts;
  opts.sync = sync;
  return opts;
}

namespace {

// RocksDB's info log, forwarded to spdlog (warnings and errors only).
class spdlog_logger : public rocksdb::Logger {
public:
  spdlog_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {
    // nop
  }

  using rocksdb::Logger::Logv;

  void Logv(const char* format, va_list ap) override {
    char buf[1024];
    std::vsnprintf(buf, sizeof(buf), format, ap);
    std::string msg{buf};
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
      msg.pop_back();
    spdlog::warn("rocksdb: {}", msg);
    if (msg.find("Corruption") == std::string::npos)
      return;
    // Without RocksDB's "[WARN] [file.cc:line] " prefixes (at most two).
    for (int i = 0; i < 2 && !msg.empty() && msg.front() == '['; ++i)
      if (auto end = msg.find("] "); end != std::string::npos)
        msg.erase(0, end + 2);
    std::lock_guard<std::mutex> guard{mu_};
    if (last_corruption_.empty())
      last_corruption_ = msg;
  }

  std::string last_corruption() const {
    std::lock_guard<std::mutex> guard{mu_};
    return last_corruption_;
  }

private:
  mutable std::mutex mu_;
  std::string last_corruption_; // the first one: the cause
};

// Turns RocksDB's automatic recovery from a full disk off (see
// set_failure_handling).
class manual_recovery : public rocksdb::EventListener {
public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason,
                            rocksdb::Status bg_error,
                            bool* auto_recovery) override {
    bg_error.PermitUncheckedError();
    *auto_recovery = false;
  }
};

} // namespace

std::function<std::string()> set_failure_handling(rocksdb::DBOptions& opts) {
  // A torn last record (a crash while it was written, before its sync
  // returned, so nothing acknowledged depended on it) is dropped; any other
  // damage refuses the open (Status::Corruption). Not kPointInTimeRecovery
  // (RocksDB's default): it stops replaying at the first damaged record and
  // opens, silently forgetting every synced write after it (a vote, an
  // acknowledged entry). Not kAbsoluteConsistency: it also refuses the torn
  // tail a power loss leaves, so a node could not restart after one.
  opts.wal_recovery_mode
    = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  opts.paranoid_checks = true;
  auto logger = std::make_shared<spdlog_logger>();
  opts.info_log = logger;
  opts.listeners.push_back(std::make_shared<manual_recovery>());
  return [logger] { return logger->last_corruption(); };
}

failure no_space_failure(const rocksdb::DB& db) {
  auto dir = std::filesystem::path{db.GetName()}.parent_path().string();
  return fail(errc::no_space,
              "no space left on device in " + dir + ": the write was refused");
}

rocksdb::Status resume(rocksdb::DB& db) {
  auto st = db.Resume();
  if (!st.ok() && !is_no_space(st))
    must_succeed(st, "resuming writes after a full disk");
  return st;
}

void must_succeed(const rocksdb::Status& st, const char* what) {
  if (st.ok())
    return;
  auto msg = std::string{what} + " failed: " + st.ToString();
  spdlog::critical("persistence: {}", msg);
  AS_FAIL_STOP(msg);
}

} // namespace actorswarm::persistence
