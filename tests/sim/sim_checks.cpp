// The checks: Raft's invariants from what the disks persist (on every
// save), and at the end of a run agreement, liveness and linearizability.

#include "sim/simulation.hpp"

namespace actorswarm::sim::detail {

// -- raft invariants from the disks ------------------------------------------

void simulation::on_save(uint64_t id, const persistence::log_write& w,
                         std::optional<uint64_t> prev_term) {
  if (!w.entries.empty()) {
    if (prev_term) {
      checker_.on_persist(id, *prev_term, w.entries);
    } else if (w.entries.size() > 1) {
      std::vector<pb::Entry> rest(w.entries.begin() + 1, w.entries.end());
      checker_.on_persist(id, w.entries.front().term(), rest);
    }
  }
  if (!w.hard_state)
    return;
  auto& n = node(id);
  auto commit = w.hard_state->commit();
  auto& reported = committed_[id];
  auto lo = std::max(reported + 1, n.log.first_index());
  auto hi = std::min(commit, n.log.last_index());
  if (lo <= hi) {
    auto xs = n.log.volatile_image().entries(lo, hi + 1,
                                             persistence::no_size_limit_bytes);
    if (xs)
      for (const auto& e : *xs)
        checker_.on_commit(id, e);
  }
  reported = std::max(reported, commit);
  if (!checker_.error().empty())
    violation(checker_.error());
}
// -- final checks --------------------------------------------------------

void simulation::check_end() {
  // Every node is up and all agree (state machine safety after heal).
  std::optional<std::pair<uint64_t, std::string>> first;
  store_view_ptr newest;
  for (auto& n : nodes_) {
    if (n->removed)
      continue;
    if (!n->up) {
      violation("node " + std::to_string(n->id)
                + " is not up after the faults healed");
      return;
    }
    auto h = fx_.self->request(n->store, caf::infinite, view_atom::value);
    run_messages();
    if (fx_.self->mailbox().empty()) {
      violation("node " + std::to_string(n->id) + " does not answer");
      return;
    }
    std::string digest;
    uint64_t applied = 0;
    h.receive(
      [&](const store_view_ptr& v) {
        applied = v->applied_index();
        if (!newest || applied > newest->applied_index())
          newest = v;
        std::map<std::string, std::string> sorted;
        for (const auto& [id, s] : v->services())
          sorted[std::string{id}] = std::to_string(s->spec().replicas()) + "@"
                                    + std::to_string(s->meta().version());
        for (const auto& [id, x] : sorted)
          digest += id + "=" + x + ";";
      },
      [&](caf::error&) {});
    trace("n" + std::to_string(n->id) + " final applied="
          + std::to_string(applied) + " services: " + digest);
    if (!first) {
      first = std::make_pair(applied, digest);
    } else if (first->second != digest) {
      violation("replicas disagree after heal: node 1 (or first up) has "
                + first->second + " at " + std::to_string(first->first)
                + ", node " + std::to_string(n->id) + " has " + digest + " at "
                + std::to_string(applied));
      return;
    }
  }
  // Liveness: a write through every node completed after the heal
  // (retried while its answer said nothing definite).
  for (auto& n : nodes_) {
    if (n->removed)
      continue;
    auto key = "probe-" + std::to_string(n->id);
    bool done = false;
    for (const auto& o : history_)
      if (o.key == key && o.result != outcome::unknown)
        done = true;
    if (!done) {
      violation("liveness: no write through node " + std::to_string(n->id)
                + " completed in the " + std::to_string(opts_.heal_ms)
                + " ms after the faults healed");
      return;
    }
  }
  if (opts_.orchestration && newest) {
    check_orchestration(*newest);
    if (!result_.violation.empty())
      return;
  }
  auto lin = check_linearizable(history_);
  if (!lin.ok)
    violation("not linearizable: " + lin.explanation);
}

} // namespace actorswarm::sim::detail
