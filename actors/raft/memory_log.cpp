#include "actors/raft/memory_log.hpp"

#include "messages/assert.hpp"

namespace actorswarm::raft {

memory_log::memory_log() : ents_(1) {
  // nop
}

pb::HardState memory_log::hard_state() const {
  return hard_state_;
}

pb::ConfState memory_log::conf_state() const {
  return snapshot_.metadata().conf_state();
}

uint64_t memory_log::first_index() const {
  return ents_[0].index() + 1;
}

uint64_t memory_log::last_index() const {
  return ents_[0].index() + ents_.size() - 1;
}

result<uint64_t> memory_log::term(uint64_t i) const {
  auto offset = ents_[0].index();
  if (i < offset)
    return fail(log_compacted, "requested index is compacted");
  if (i - offset >= ents_.size())
    return fail(log_unavailable, "requested index is unavailable");
  return ents_[i - offset].term();
}

result<std::vector<pb::Entry>> memory_log::entries(uint64_t lo, uint64_t hi,
                                                   uint64_t max_bytes) const {
  auto offset = ents_[0].index();
  if (lo <= offset)
    return fail(log_compacted, "requested index is compacted");
  if (hi > last_index() + 1)
    return fail(log_unavailable, "requested index is unavailable");
  std::vector<pb::Entry> out;
  uint64_t size_bytes = 0;
  for (auto i = lo; i < hi; ++i) {
    const auto& e = ents_[i - offset];
    size_bytes += e.ByteSizeLong();
    if (!out.empty() && size_bytes > max_bytes)
      break;
    out.push_back(e);
  }
  return out;
}

result<pb::Snapshot> memory_log::snapshot() const {
  return snapshot_;
}

void memory_log::set_hard_state(const pb::HardState& x) {
  hard_state_ = x;
}

void memory_log::append(const std::vector<pb::Entry>& xs) {
  if (xs.empty())
    return;
  auto first = first_index();
  auto last = xs.back().index();
  if (last < first)
    return;
  size_t skip = 0;
  if (xs.front().index() < first)
    skip = first - xs.front().index();
  auto start = xs[skip].index();
  AS_ASSERT(start <= last_index() + 1);
  ents_.resize(start - ents_[0].index());
  for (auto i = skip; i < xs.size(); ++i) {
    AS_ASSERT(xs[i].index() == ents_[0].index() + ents_.size());
    ents_.push_back(xs[i]);
  }
}

bool memory_log::apply_snapshot(const pb::Snapshot& x) {
  if (x.metadata().index() <= snapshot_.metadata().index())
    return false;
  snapshot_ = x;
  ents_.assign(1, pb::Entry{});
  ents_[0].set_index(x.metadata().index());
  ents_[0].set_term(x.metadata().term());
  return true;
}

status memory_log::create_snapshot(uint64_t index, const pb::ConfState& cs,
                                   std::string data) {
  if (index <= snapshot_.metadata().index())
    return fail(log_compacted, "snapshot is out of date");
  AS_ASSERT(index <= last_index());
  auto* md = snapshot_.mutable_metadata();
  md->set_index(index);
  md->set_term(ents_[index - ents_[0].index()].term());
  *md->mutable_conf_state() = cs;
  snapshot_.set_data(std::move(data));
  return ok_status();
}

status memory_log::compact(uint64_t index) {
  auto offset = ents_[0].index();
  if (index <= offset)
    return fail(log_compacted, "requested index is compacted");
  AS_ASSERT(index <= last_index());
  auto k = index - offset;
  pb::Entry dummy;
  dummy.set_index(ents_[k].index());
  dummy.set_term(ents_[k].term());
  std::vector<pb::Entry> rest;
  rest.reserve(ents_.size() - k);
  rest.push_back(std::move(dummy));
  for (auto i = k + 1; i < ents_.size(); ++i)
    rest.push_back(std::move(ents_[i]));
  ents_ = std::move(rest);
  return ok_status();
}

} // namespace actorswarm::raft
