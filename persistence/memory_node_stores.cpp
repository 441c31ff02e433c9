#include "persistence/memory_node_stores.hpp"

namespace actorswarm::persistence {

void memory_task_record_store::put(const std::vector<record>& xs) {
  for (const auto& [id, value] : xs)
    records_[id] = value;
}

void memory_task_record_store::remove(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    records_.erase(id);
}

std::vector<task_record_store::record>
memory_task_record_store::load_all() const {
  return {records_.begin(), records_.end()};
}

void memory_task_record_store::clear() {
  records_.clear();
}

std::optional<std::string> memory_kv_store::get(const std::string& key) const {
  if (auto i = values_.find(key); i != values_.end())
    return i->second;
  return std::nullopt;
}

void memory_kv_store::put(const std::string& key, const std::string& value) {
  values_[key] = value;
}

void memory_kv_store::remove(const std::string& key) {
  values_.erase(key);
}

} // namespace actorswarm::persistence
