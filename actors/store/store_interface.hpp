#pragma once

// How other actors talk to the store actor (see store_actor.hpp): subscribe
// for a view plus change sets, and propose batches. Shared by every watcher
// (allocator, scheduler, orchestrator, dispatcher, control).

#include <utility>

#include "caf/all.hpp"

#include "actors/raft/raft_types.hpp"
#include "actors/store/store_types.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm::store {

/// Subscribes `self` to `store`. `on_view(const store_view_ptr&)` runs first
/// (awaited, so no change set is handled before the view exists); then
/// (events_atom, change_set_ptr) messages arrive in log order.
template <class Self, class F>
void subscribe(Self* self, const caf::actor& store, F on_view) {
  self->request(store, caf::infinite, subscribe_atom::value,
                caf::actor_cast<caf::actor>(self))
    .await(std::move(on_view));
}

/// Proposes `batch`; `done()` runs once the store answered, whatever the
/// outcome. A refusal is logged on the logger `who`: watchers correct
/// themselves from the next change set, so they need no error path.
template <class Self, class F>
void propose_then(Self* self, const caf::actor& store, pb::StoreBatch batch,
                  const char* who, F done) {
  self->request(store, caf::infinite, propose_atom::value, std::move(batch))
    .then([done](uint64_t) mutable { done(); },
          [done, who](caf::error& err) mutable {
            logger(who)->warn("batch refused: {}", caf::to_string(err));
            done();
          });
}

} // namespace actorswarm::store
