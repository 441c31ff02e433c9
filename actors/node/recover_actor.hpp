#pragma once

// A recovery runs one `swarm init --force-new-cluster`: a manager that
// survived the loss of its quorum becomes the only manager of its swarm,
// keeping every node, service and task it knows. The components stop (the
// task processes keep running) and the Raft state is rewritten as a
// one-member group at this manager's applied index
// (raft/force_new_cluster.hpp), the membership actor records this node as
// the group's founder and the components start again; the agent adopts its
// running tasks as after a daemon restart.
//
// Protocol: recover_interface.hpp.
// Sends:    (view_atom) to the store; (components_stop_atom) and
//           (components_start_atom) to the node supervisor;
//           (node_founded_atom) to the membership actor.

#include "caf/fwd.hpp"

#include "actors/node/membership.hpp"
#include "actors/node/recover_interface.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::node {

/// What a recovery needs to know.
struct recover_config {
  store::store_actor_type store; //
  recover_node_type node;
  recover_recorder_type membership;
  persistence::data_dir* dir = nullptr;
  identity id; // this manager
};

/// Spawns a recovery linked to `parent`.
recover_actor_type spawn_recover(caf::local_actor* parent, recover_config cfg);

} // namespace actorswarm::node
