#include "actors/raft/progress.hpp"

#include <algorithm>

#include "messages/assert.hpp"

namespace actorswarm::raft {

void inflights::add(uint64_t i) {
  AS_ASSERT(!full());
  q_.push_back(i);
}

void inflights::free_le(uint64_t i) {
  while (!q_.empty() && q_.front() <= i)
    q_.pop_front();
}

void inflights::free_first_one() {
  if (!q_.empty())
    q_.pop_front();
}

void progress::become_probe() {
  // After a snapshot, probing restarts just past it (etcd).
  if (state == progress_state::snapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = progress_state::probe;
  pending_snapshot = 0;
  snapshot_ticks = 0;
  probe_sent = false;
  inflight.reset();
}

void progress::become_replicate() {
  state = progress_state::replicate;
  next = match + 1;
  pending_snapshot = 0;
  snapshot_ticks = 0;
  probe_sent = false;
  inflight.reset();
}

void progress::become_snapshot(uint64_t snapshot_index) {
  state = progress_state::snapshot;
  pending_snapshot = snapshot_index;
  snapshot_ticks = 0;
  probe_sent = false;
  inflight.reset();
}

bool progress::maybe_update(uint64_t n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool progress::maybe_decr_to(uint64_t rejected, uint64_t match_hint) {
  if (state == progress_state::replicate) {
    // A rejection at or below match is stale (reordered); ignore it.
    if (rejected <= match)
      return false;
    next = match + 1;
    return true;
  }
  // Probe: only the rejection of the message we sent last counts.
  if (next - 1 != rejected)
    return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool progress::is_paused() const {
  switch (state) {
    case progress_state::probe:
      return probe_sent;
    case progress_state::replicate:
      return inflight.full();
    case progress_state::snapshot:
      return true;
  }
  return true;
}

} // namespace actorswarm::raft
