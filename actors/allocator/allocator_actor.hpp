#pragma once

// The allocator moves new tasks to pending (SwarmKit's allocator step; the
// network work will allocate virtual IPs and published ports here before a
// task may be scheduled). It watches the store and proposes one batch per
// commit that created tasks.

#include "caf/fwd.hpp"

#include "actors/allocator/allocator_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::allocator {

allocator_actor_type spawn_allocator(caf::actor_system& sys,
                                     const store::store_actor_type& store,
                                     node::clock& clk);

} // namespace actorswarm::allocator
