#include "persistence/memory_log_store.hpp"

#include "persistence/log_checks.hpp"

namespace actorswarm::persistence {

uint64_t memory_log_store::first_index() const {
  return current_.snap.index + 1;
}

uint64_t memory_log_store::last_index() const {
  return current_.snap.index + current_.log.size();
}

result<uint64_t> memory_log_store::term(uint64_t i) const {
  if (i == current_.snap.index)
    return current_.snap.term;
  if (i < current_.snap.index)
    return compacted_failure(i, first_index());
  if (i > last_index())
    return unavailable_failure(i, last_index());
  return current_.log[i - first_index()].term();
}

result<std::vector<pb::Entry>>
memory_log_store::entries(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  if (lo < first_index())
    return compacted_failure(lo, first_index());
  if (hi > last_index() + 1)
    return unavailable_failure(hi - 1, last_index());
  std::vector<pb::Entry> xs;
  uint64_t total_bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const auto& e = current_.log[i - first_index()];
    total_bytes += e.ByteSizeLong();
    // etcd: return at least one entry even if it alone exceeds the limit.
    if (!xs.empty() && total_bytes > max_bytes)
      break;
    xs.push_back(e);
  }
  return xs;
}

pb::HardState memory_log_store::hard_state() const {
  return current_.hard_state;
}

snapshot_point memory_log_store::snapshot() const {
  return current_.snap;
}

void memory_log_store::save(const log_write& x) {
  check_log_write(x, first_index(), last_index());
  apply(current_, x);
  if (x.sync) {
    // A synced write also makes every earlier unsynced write durable, as a
    // WAL fsync does.
    make_durable();
    apply(durable_, x);
  } else {
    pending_.emplace_back(x);
  }
}

status memory_log_store::compact_prefix(uint64_t index, uint64_t term) {
  if (index <= current_.snap.index)
    return compacted_failure(index, first_index());
  snapshot_point p{index, term};
  apply(current_, p);
  // Compaction is synced, so it makes every earlier write durable too.
  make_durable();
  apply(durable_, p);
  return ok_status();
}

void memory_log_store::clear() {
  current_ = state{};
  durable_ = state{};
  pending_.clear();
}

void memory_log_store::crash() {
  current_ = durable_;
  pending_.clear();
}

void memory_log_store::apply(state& st, const log_write& x) {
  if (x.hard_state)
    st.hard_state = *x.hard_state;
  const uint64_t first = st.snap.index + 1;
  for (const auto& e : x.entries) {
    if (e.index() < first)
      continue;
    // Truncate a conflicting suffix: the new entry replaces position i.
    st.log.resize(e.index() - first);
    st.log.push_back(e);
  }
}

void memory_log_store::apply(state& st, const snapshot_point& x) {
  const uint64_t first = st.snap.index + 1;
  const uint64_t last = st.snap.index + st.log.size();
  bool keep_suffix = x.index <= last
                     && st.log[x.index - first].term() == x.term;
  if (keep_suffix)
    st.log.erase(st.log.begin(), st.log.begin() + (x.index - first + 1));
  else
    st.log.clear();
  st.snap = x;
}

void memory_log_store::apply(state& st, const pending_op& x) {
  std::visit([&st](const auto& op) { apply(st, op); }, x);
}

void memory_log_store::make_durable() {
  for (const auto& op : pending_)
    apply(durable_, op);
  pending_.clear();
}

} // namespace actorswarm::persistence
