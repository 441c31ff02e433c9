#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "messages/assert.hpp"
#include "persistence/log_store.hpp"

namespace actorswarm::persistence {

/// Asserts the preconditions of `log_store::save` against a log whose last
/// entry is `last`: contiguous entries, no gap after `last`. Returns how many
/// leading entries lie below `first` (already compacted; to be skipped).
inline size_t check_log_write(const log_write& x, uint64_t first,
                              uint64_t last) {
  const auto& es = x.entries;
  if (es.empty())
    return 0;
  for (size_t i = 1; i < es.size(); ++i)
    AS_ASSERT(es[i].index() == es[i - 1].index() + 1);
  AS_ASSERT(es.front().index() >= 1);
  AS_ASSERT(es.front().index() <= last + 1);
  size_t skip = 0;
  while (skip < es.size() && es[skip].index() < first)
    ++skip;
  return skip;
}

/// The failure of a read below the compaction point.
inline failure compacted_failure(uint64_t i, uint64_t first) {
  return fail(log_compacted, "log index " + std::to_string(i)
                               + " is compacted (first index "
                               + std::to_string(first) + ")");
}

/// The failure of a read past the end of the log.
inline failure unavailable_failure(uint64_t i, uint64_t last) {
  return fail(log_unavailable, "log index " + std::to_string(i)
                                 + " is unavailable (last index "
                                 + std::to_string(last) + ")");
}

} // namespace actorswarm::persistence
