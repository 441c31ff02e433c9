#pragma once

// A leave runs one `swarm leave [--force]`. A manager without --force is
// refused when its leave would lose the quorum (leave_refusal,
// membership.hpp); a manager of several first leaves the Raft group
// through the leader (a role change: a forced leave goes on when that
// fails). Then the node stops its components, the task processes get
// SIGTERM and, after the stop grace period, SIGKILL (leave.hpp). The
// membership actor wipes the swarm state once the leave answered.
//
// Protocol: leave_interface.hpp.
// Sends:    (raft_status_atom) and (view_atom) to the store;
//           (components_stop_atom) to the node supervisor.

#include "caf/fwd.hpp"

#include "actors/node/leave_interface.hpp"
#include "actors/node/membership.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::persistence {
class task_record_store;
} // namespace actorswarm::persistence

namespace actorswarm::node {

class clock;

/// What a leave needs to know.
struct leave_config {
  identity id;        // the leaving node
  bool force = false; // --force
  /// The node's store (null on a worker) and transport.
  ///
  store::store_actor_type store;
  net::cluster_transport_actor_type transport;
  leave_node_type node; // stops the components
  persistence::task_record_store* records = nullptr;
  clock* clk = nullptr;
  /// `<data-dir>/netns`: the data plane is cleared once the tasks stopped.
  std::string netns_dir;
};

/// Spawns a leave linked to `parent`.
leave_actor_type spawn_leave(caf::local_actor* parent, leave_config cfg);

} // namespace actorswarm::node
