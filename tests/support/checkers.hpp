#pragma once

// Safety checkers of the Raft simulator (Raft §5.4, Figure 3): election
// safety, log matching, leader completeness / no committed entry lost or
// changed, state machine safety (equal applied prefixes), and
// linearizability of ReadIndex answers. Each check returns the first
// violation as text ("" if none), so the test can print it with its seed.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "messages/raft.pb.h"
#include "support/seed.hpp"

namespace actorswarm::test {

class raft_checker {
public:
  /// Election safety: at most one leader per term.
  void on_leader(uint64_t term, uint64_t id) {
    auto [i, added] = leaders_.emplace(term, id);
    if (!added && i->second != id)
      fail("two leaders in term " + std::to_string(term) + ": "
           + std::to_string(i->second) + " and " + std::to_string(id));
  }

  /// Log matching: entries with equal (index, term) carry equal data and
  /// follow the same previous term, so their prefixes are equal.
  void on_persist(uint64_t id, uint64_t prev_term,
                  const std::vector<pb::Entry>& xs) {
    for (const auto& e : xs) {
      auto key = std::make_pair(e.index(), e.term());
      auto val = std::make_pair(prev_term, entry_hash(e));
      auto [i, added] = log_.emplace(key, val);
      if (!added && i->second != val)
        fail("log matching violated at index " + std::to_string(e.index())
             + " term " + std::to_string(e.term()) + " on node "
             + std::to_string(id));
      prev_term = e.term();
    }
  }

  /// A node applies entry `e` as committed: no other entry may ever be
  /// committed at that index.
  void on_commit(uint64_t id, const pb::Entry& e) {
    auto val = std::make_pair(e.term(), entry_hash(e));
    auto [i, added] = committed_.emplace(e.index(), val);
    if (!added && i->second != val)
      fail("committed entry changed at index " + std::to_string(e.index())
           + " on node " + std::to_string(id));
    if (e.index() > max_committed_)
      max_committed_ = e.index();
  }

  /// State machine safety: every node has the same state after `index`.
  void on_state(uint64_t id, uint64_t index, uint64_t state_hash) {
    auto [i, added] = states_.emplace(index, state_hash);
    if (!added && i->second != state_hash)
      fail("applied state differs at index " + std::to_string(index)
           + " on node " + std::to_string(id));
  }

  /// Leader completeness: a new leader holds every committed entry from
  /// `first_index` on. `term_at(i)` returns the leader's term at i (0 if
  /// missing).
  template <class TermAt>
  void on_new_leader_log(uint64_t id, uint64_t first_index, uint64_t last_index,
                         TermAt term_at) {
    for (auto i = committed_.lower_bound(first_index); i != committed_.end();
         ++i) {
      if (i->first > last_index || term_at(i->first) != i->second.first) {
        fail("leader " + std::to_string(id) + " lacks committed entry "
             + std::to_string(i->first));
        return;
      }
    }
  }

  /// Linearizable reads: a read must see every write committed before it
  /// was requested.
  void on_read(uint64_t id, uint64_t index, uint64_t committed_at_request) {
    if (index < committed_at_request)
      fail("stale read on node " + std::to_string(id) + ": index "
           + std::to_string(index) + " < "
           + std::to_string(committed_at_request));
  }

  uint64_t max_committed() const {
    return max_committed_;
  }

  const std::string& error() const {
    return error_;
  }

  /// Hash of everything the checker saw (determinism check).
  uint64_t digest() const {
    uint64_t h = 0;
    for (const auto& [i, v] : committed_)
      h = mix64(h ^ i ^ mix64(v.first ^ v.second));
    for (const auto& [t, id] : leaders_)
      h = mix64(h ^ t ^ (id << 32));
    return h;
  }

  static uint64_t entry_hash(const pb::Entry& e) {
    return mix64(hash_bytes(e.data()) ^ static_cast<uint64_t>(e.type()));
  }

  /// Records a violation found by the simulator itself.
  void report(std::string what) {
    fail(std::move(what));
  }

private:
  void fail(std::string what) {
    if (error_.empty())
      error_ = std::move(what);
  }

  std::map<uint64_t, uint64_t> leaders_;
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>> log_;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> committed_;
  std::map<uint64_t, uint64_t> states_;
  uint64_t max_committed_ = 0;
  std::string error_;
};

} // namespace actorswarm::test
