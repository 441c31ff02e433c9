#include "actors/raft/raft_log.hpp"

#include <algorithm>

#include "messages/assert.hpp"

namespace actorswarm::raft {

raft_log::raft_log(const log_reader& storage) : storage_(storage) {
  unstable_.set_offset(storage_.last_index() + 1);
  committed_ = storage_.first_index() - 1;
  applied_ = committed_;
}

uint64_t raft_log::first_index() const {
  if (auto i = unstable_.maybe_first_index())
    return *i;
  return storage_.first_index();
}

uint64_t raft_log::durable_last_index() const {
  if (!unstable_.entries().empty())
    return unstable_.offset() - 1;
  return storage_.last_index();
}

uint64_t raft_log::last_index() const {
  if (auto i = unstable_.maybe_last_index())
    return *i;
  return storage_.last_index();
}

uint64_t raft_log::last_term() const {
  auto t = term(last_index());
  AS_ASSERT(t.has_value());
  return *t;
}

std::optional<uint64_t> raft_log::term(uint64_t i) const {
  // The valid range is [dummy entry before first_index(), last_index()].
  if (i + 1 < first_index() || i > last_index())
    return std::nullopt;
  if (auto t = unstable_.maybe_term(i))
    return t;
  auto t = storage_.term(i);
  if (!t)
    return std::nullopt;
  return *t;
}

bool raft_log::match_term(uint64_t i, uint64_t t) const {
  auto x = term(i);
  return x && *x == t;
}

std::optional<uint64_t>
raft_log::maybe_append(uint64_t index, uint64_t log_term, uint64_t committed,
                       const std::vector<pb::Entry>& xs) {
  if (!match_term(index, log_term))
    return std::nullopt;
  auto last_new = index + xs.size();
  auto ci = find_conflict(xs);
  if (ci != 0) {
    // Raft §5.3: never overwrite a committed entry; a leader that asks for
    // it broke Leader Completeness.
    AS_ASSERT(ci > committed_);
    auto offset = index + 1;
    append({xs.begin() + (ci - offset), xs.end()});
  }
  commit_to(std::min(committed, last_new));
  return last_new;
}

uint64_t raft_log::append(const std::vector<pb::Entry>& xs) {
  if (xs.empty())
    return last_index();
  AS_ASSERT(xs.front().index() > committed_);
  unstable_.truncate_and_append(xs);
  return last_index();
}

uint64_t raft_log::find_conflict(const std::vector<pb::Entry>& xs) const {
  for (const auto& e : xs)
    if (!match_term(e.index(), e.term()))
      return e.index();
  return 0;
}

std::pair<uint64_t, uint64_t>
raft_log::find_conflict_by_term(uint64_t index, uint64_t term) const {
  // Bounded by `index` iterations.
  for (; index > 0; --index) {
    auto t = this->term(index);
    if (!t)
      return {index, 0};
    if (*t <= term)
      return {index, *t};
  }
  return {0, 0};
}

bool raft_log::is_up_to_date(uint64_t lasti, uint64_t term) const {
  auto lt = last_term();
  return term > lt || (term == lt && lasti >= last_index());
}

bool raft_log::maybe_commit(uint64_t max_index, uint64_t term) {
  if (max_index > committed_ && match_term(max_index, term)) {
    commit_to(max_index);
    return true;
  }
  return false;
}

void raft_log::commit_to(uint64_t x) {
  if (x <= committed_)
    return;
  AS_ASSERT(x <= last_index());
  committed_ = x;
}

void raft_log::applied_to(uint64_t i) {
  if (i == 0)
    return;
  AS_ASSERT(i <= committed_);
  AS_ASSERT(i >= applied_);
  applied_ = i;
}

void raft_log::set_applied(uint64_t x) {
  AS_ASSERT(x <= committed_);
  applied_ = std::max(applied_, x);
}

void raft_log::stable_to(uint64_t i, uint64_t t) {
  unstable_.stable_to(i, t);
}

void raft_log::stable_snap_to(uint64_t i) {
  unstable_.stable_snap_to(i);
}

void raft_log::restore(const pb::Snapshot& s) {
  committed_ = s.metadata().index();
  unstable_.restore(s);
}

result<std::vector<pb::Entry>> raft_log::entries(uint64_t i,
                                                 uint64_t max_bytes) const {
  if (i > last_index())
    return std::vector<pb::Entry>{};
  return slice(i, last_index() + 1, max_bytes);
}

result<std::vector<pb::Entry>> raft_log::slice(uint64_t lo, uint64_t hi,
                                               uint64_t max_bytes) const {
  AS_ASSERT(lo <= hi);
  if (lo < first_index())
    return fail(log_compacted, "requested index is compacted");
  AS_ASSERT(hi <= last_index() + 1);
  std::vector<pb::Entry> out;
  auto off = unstable_.offset();
  if (lo < off) {
    auto stored = storage_.entries(lo, std::min(hi, off), max_bytes);
    if (!stored)
      return stored.error();
    out = std::move(*stored);
    if (out.size() < std::min(hi, off) - lo)
      return out; // hit the size limit
  }
  if (hi > off) {
    uint64_t size_bytes = 0;
    for (const auto& e : out)
      size_bytes += e.ByteSizeLong();
    for (auto& e : unstable_.slice(std::max(lo, off), hi)) {
      size_bytes += e.ByteSizeLong();
      if (!out.empty() && size_bytes > max_bytes)
        break;
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<pb::Entry> raft_log::next_committed_entries() const {
  if (unstable_.snapshot())
    return {};
  auto off = std::max(applied_ + 1, first_index());
  if (committed_ + 1 <= off)
    return {};
  auto xs = slice(off, committed_ + 1, no_limit_bytes);
  AS_ASSERT(xs.ok());
  return std::move(*xs);
}

bool raft_log::has_next_committed_entries() const {
  if (unstable_.snapshot())
    return false;
  auto off = std::max(applied_ + 1, first_index());
  return committed_ + 1 > off;
}

result<pb::Snapshot> raft_log::snapshot() const {
  if (unstable_.snapshot())
    return *unstable_.snapshot();
  return storage_.snapshot();
}

} // namespace actorswarm::raft
