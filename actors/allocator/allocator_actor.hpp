#pragma once

// The allocator moves new tasks to pending (SwarmKit's allocator step; the
// network work will allocate virtual IPs and published ports here before a
// task may be scheduled). It watches the store and proposes one batch per
// commit that created tasks.

#include "caf/fwd.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::allocator {

caf::actor spawn_allocator(caf::actor_system& sys, caf::actor store,
                           node::clock& clk);

} // namespace actorswarm::allocator
