#pragma once

#include <optional>
#include <string>

namespace actorswarm::persistence {

/// Small node-local state (node id, certificate paths, "in swarm" flag,
/// cluster id, listen address): a few short keys. Writes are synced before
/// they return; a failed write is fail-stop (STYLE.md R6). Single-threaded use.
class kv_store {
public:
  virtual ~kv_store() = default;

  /// The value of `key`, or none.
  virtual std::optional<std::string> get(const std::string& key) const = 0;

  /// Sets `key` to `value`, synced.
  virtual void put(const std::string& key, const std::string& value) = 0;

  /// Deletes `key` if present, synced.
  virtual void remove(const std::string& key) = 0;
};

} // namespace actorswarm::persistence
