#pragma once

#include <string>
#include <utility>
#include <vector>

namespace actorswarm::persistence {

/// A worker's own records of the task processes it started, so a restarted
/// daemon finds (and reaps or adopts) them. Key: task id; value: bytes this
/// store does not interpret. Writes are synced before they return; a failed
/// write is fail-stop (STYLE.md R6). Single-threaded use.
class task_record_store {
public:
  using record = std::pair<std::string, std::string>;

  virtual ~task_record_store() = default;

  /// Inserts or replaces all `xs` in one synced, atomic write.
  virtual void put(const std::vector<record>& xs) = 0;

  /// Deletes the records of `ids` (unknown ids are ignored), one synced write.
  virtual void remove(const std::vector<std::string>& ids) = 0;

  /// Every record, ordered by task id.
  virtual std::vector<record> load_all() const = 0;

  /// Deletes every record, one synced write (a node leaving its swarm).
  virtual void clear() = 0;
};

} // namespace actorswarm::persistence
