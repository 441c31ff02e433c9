#pragma once

// The scheduler actor (leader only) keeps the scheduler's incremental view of
// nodes and tasks from store events and, once per commit that leaves tasks
// pending, places the whole batch and proposes one store batch with the
// assignments (ASSIGNED + node_id) and the reasons for tasks that fit
// nowhere (they stay PENDING with `err`, and are retried when nodes or
// tasks change).

#include "caf/fwd.hpp"

#include "actors/scheduler/scheduler_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::scheduler {

scheduler_actor_type spawn_scheduler(caf::actor_system& sys,
                                     const store::store_actor_type& store,
                                     node::clock& clk);

} // namespace actorswarm::scheduler
