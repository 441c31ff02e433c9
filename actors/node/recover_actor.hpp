#pragma once

// A recovery runs one `swarm init --force-new-cluster`: a manager that
// survived the loss of its quorum becomes the only manager of its swarm,
// keeping every node, service and task it knows. The components stop (the
// task processes keep running) and the Raft state is rewritten as a
// one-member group at this manager's applied index
// (raft/force_new_cluster.hpp); the membership actor then starts the
// components again, and the agent adopts its running tasks as after a
// daemon restart.
//
// Protocol: recover_interface.hpp.
// Sends:    (view_atom) to the store; (components_stop_atom) and, after a
//           failed rewrite, (components_start_atom) to the node supervisor.

#include "caf/fwd.hpp"

#include "actors/node/membership.hpp"
#include "actors/node/recover_interface.hpp"

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::node {

/// Spawns a recovery of the manager `id` linked to `parent`.
/// TODO(i7-merge): the store's typed handle.
recover_actor_type spawn_recover(caf::local_actor* parent, caf::actor store,
                                 recover_node_type node,
                                 persistence::data_dir& dir, identity id);

} // namespace actorswarm::node
