#pragma once

// The update actor (leader only, beside the orchestrator) drives rolling
// updates and rollbacks (SwarmKit manager/orchestrator/update/): it watches
// the store, steps the update engine (update_engine.hpp) for each service
// whose tasks or spec changed, and proposes what the engine decides as one
// atomic batch per service, one batch per service in flight. Delays,
// monitor periods and timeouts come back as a wakeup message on the
// injected clock. Its state is the store's (update_status, the tasks'
// spec_version), so a new leader's update actor resumes where the last one
// stopped; a refused batch is decided again on the newer view. It reads
// the store and proposes to it, nothing else.

#include "caf/fwd.hpp"

#include "actors/update/update_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::update {

/// Spawns the update actor on `store`, reading wall time from `clk` (which
/// must outlive it).
update_actor_type spawn_update(caf::actor_system& sys,
                               const store::store_actor_type& store,
                               node::clock& clk);

} // namespace actorswarm::update
