#pragma once

#include <cstdint>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "messages/assert.hpp"

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

/// Fail-stop unless `st` is ok: a failed write or sync, or a corrupt read,
/// cannot be handled by anyone (STYLE.md R6). `what` names the operation.
void must_succeed(const rocksdb::Status& st, const char* what);

} // namespace actorswarm::persistence
