#pragma once

// The orchestrator actor (leader only) runs the replicated and global
// orchestrators, restart supervision and the task reaper. It marks services
// dirty on store events and reconciles each dirty service once per commit
// (SwarmKit), proposing one batch; restart delays come back as a wakeup
// message (time is a message).

#include "caf/fwd.hpp"

#include "actors/orchestrator/orchestrator_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::orchestrator {

orchestrator_actor_type spawn_orchestrator(caf::actor_system& sys,
                                           const store::store_actor_type& store,
                                           node::clock& clk);

} // namespace actorswarm::orchestrator
