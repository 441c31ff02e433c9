#pragma once

// The allocator (on the leader; SwarmKit's manager/allocator): gives
// networks a subnet, gateway and VXLAN id, services their Endpoint (a
// virtual IP per network, published ports) and new tasks an address per
// network of their service, then moves them to pending for the scheduler;
// every node gets an address on ingress (Node.attachments, in batches of
// node updates only). It watches the store and proposes one batch at a time, so
// everything it allocates is store state; on start (a new leader) it rebuilds
// its state from the store first (allocator_core::restore), logging any
// conflict it finds. A refused batch is corrected from the next change set; a
// task whose addresses cannot be allocated stays NEW with the reason in its
// status and is retried when addresses free up. The logic is CAF-free:
// allocator_core, network_allocator, ipam, port_allocator.

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
