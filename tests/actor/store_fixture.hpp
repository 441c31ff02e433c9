#pragma once

// A store actor over in-memory persistence twins, shared by the actor tests
// of the store and of the actors that watch it.

#include <chrono>
#include <string>

#include "actor/builders.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_interface.hpp"
#include "persistence/memory_snapshot_store.hpp"
#include "support/actor_fixture.hpp"

namespace actorswarm::test {

class store_fixture : public actor_fixture {
public:
  /// Time a fresh store may need before it takes proposals: a raft-backed
  /// store elects itself (one member) within its election timeout, counted
  /// in ticks of 100 ms; a store without raft needs none.
  static constexpr auto settle_time = std::chrono::seconds(3);
  static constexpr auto settle_step = std::chrono::milliseconds(100);

  counting_log_store log;
  persistence::memory_snapshot_store snaps;
  store::store_actor_type store;

  /// Spawns the store over `log` and `snaps` and lets it settle; the store
  /// becomes `store`.
  store::store_actor_type spawn_store(store::store_config cfg = {}) {
    store = track(store::spawn_store(sys, log, &snaps, cfg));
    drain();
    for (auto t = settle_step; t <= settle_time; t += settle_step)
      advance(settle_step);
    return store;
  }

  /// Proposes `b` and requires it to be accepted; returns its log index.
  uint64_t propose(pb::StoreBatch b) {
    return ask_ok<uint64_t>(store, propose_atom::value, std::move(b));
  }

  /// The store's current state.
  store_view_ptr view() {
    return ask_ok<store_view_ptr>(store, view_atom::value);
  }
};

} // namespace actorswarm::test
