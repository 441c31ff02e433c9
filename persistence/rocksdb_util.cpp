#include "persistence/rocksdb_util.hpp"

#include <string>

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

void must_succeed(const rocksdb::Status& st, const char* what) {
  if (st.ok())
    return;
  auto msg = std::string{what} + " failed: " + st.ToString();
  spdlog::critical("persistence: {}", msg);
  AS_FAIL_STOP(msg);
}

} // namespace actorswarm::persistence
