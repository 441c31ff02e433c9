#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "persistence/kv_store.hpp"
#include "persistence/task_record_store.hpp"

namespace actorswarm::persistence {

/// In-memory twin of rocksdb_task_record_store. Every write is "synced", so
/// nothing is lost at a simulated crash: keep the object across restarts.
class memory_task_record_store : public task_record_store {
public:
  void put(const std::vector<record>& xs) override;

  void remove(const std::vector<std::string>& ids) override;

  std::vector<record> load_all() const override;

  void clear() override;

private:
  std::map<std::string, std::string> records_;
};

/// In-memory twin of rocksdb_kv_store.
class memory_kv_store : public kv_store {
public:
  std::optional<std::string> get(const std::string& key) const override;

  void put(const std::string& key, const std::string& value) override;

  void remove(const std::string& key) override;

private:
  std::map<std::string, std::string> values_;
};

} // namespace actorswarm::persistence
