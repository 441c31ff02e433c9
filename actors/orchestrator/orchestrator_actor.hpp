#pragma once

// The orchestrator actor (leader only) runs the replicated and global
// orchestrators, restart supervision and the task reaper. It marks services
// dirty on store events and reconciles each dirty service once per commit
// (SwarmKit), proposing one batch; restart delays come back as a wakeup
// message (time is a message).

#include "caf/fwd.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::orchestrator {

caf::actor spawn_orchestrator(caf::actor_system& sys, caf::actor store,
                              node::clock& clk);

} // namespace actorswarm::orchestrator
