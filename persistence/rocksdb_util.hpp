#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "messages/assert.hpp"
#include "messages/result.hpp"

namespace actorswarm::persistence {

/// Column family names of the one RocksDB database of a data dir.
constexpr const char* cf_raft_log = "raft_log";
constexpr const char* cf_raft_state = "raft_state";
constexpr const char* cf_task_records = "task_records";
constexpr const char* cf_node_state = "node_state";

/// 8-byte big-endian key, so RocksDB's bytewise order is index order.
std::string index_key(uint64_t index);

/// Inverse of index_key; fail-stop on a key of the wrong size (corruption).
uint64_t decode_index_key(const rocksdb::Slice& key);

/// Write options with `sync` set as asked.
rocksdb::WriteOptions write_options(bool sync);

/// Sets how the database of a data dir meets damage and a full disk:
/// - WAL recovery mode kTolerateCorruptedTailRecords: see data_dir.cpp.
/// - RocksDB's own messages go to spdlog (warn and above) instead of a LOG
///   file in the database dir: on a full disk that file fails too, and
///   RocksDB 7.8 (built with assertions) then aborts on its next line
///   (`sync_without_flush_called_`), at every write and every restart.
/// - No automatic recovery from a background NoSpace error: RocksDB's waits
///   for a free-space margin of one write buffer (64 MiB) and meanwhile
///   answers DB::Resume "busy"; the log store calls Resume itself before
///   the next write instead (rocksdb_log_store::try_save).
/// Returns what RocksDB said last about a corruption (its message names the
/// damaged file, which Status::Corruption often does not), "" if nothing:
/// call it after a failed open.
std::function<std::string()> set_failure_handling(rocksdb::DBOptions& opts);

/// The operational error of a write refused for a full disk: "no space
/// left on device in <data dir>: the write was refused". `db` is the
/// database of the data dir (at <data dir>/db).
failure no_space_failure(const rocksdb::DB& db);

/// Whether `st` is a full disk (ENOSPC; RocksDB's NoSpace).
inline bool is_no_space(const rocksdb::Status& st) {
  return st.IsNoSpace();
}

/// Lets a database that stopped writing after a background error (a full
/// disk) write again. Ok if it was not stopped; the NoSpace status while
/// the disk is still full; fail-stop for anything else.
rocksdb::Status resume(rocksdb::DB& db);

/// Fail-stop unless `st` is ok: a failed write or sync, or a corrupt read,
/// cannot be handled by anyone (STYLE.md R6). `what` names the operation.
void must_succeed(const rocksdb::Status& st, const char* what);

} // namespace actorswarm::persistence
