#pragma once

// The control actor serves the CLI (DESIGN.md, Control channel); its
// protocol is control_actor_type (control_interface.hpp). It keeps a read
// view of the store (subscribed, so reads never wait on the store actor),
// answers reads from it once they are linearizable, and proposes what the
// rules of control_logic.hpp decide for writes. Swarm membership requests
// (info, init, join, leave, join-token, promote, demote, node rm) go to the
// node actor, which owns identity and starts the manager components; once
// they run, the node actor hands the store to this actor (manager_atom).
// Autolock: it makes the unlock keys (OpenSSL's CSPRNG) that init, update
// and unlock-key --rotate propose, and keeps this node's data dir locked as
// the cluster says.
//
// Sends:    (control_atom, ControlRequest) -> ControlReply to the node actor;
//           (propose_atom, StoreBatch) -> index, (read_atom) -> bool,
//           (raft_status_atom) -> raft_status_ptr and (subscribe_atom, self) to
//           the store.
// Fails:    never on bad input; an unknown request kind is a bad_request.

#include "caf/fwd.hpp"

#include "actors/control/control_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::persistence {
class data_dir;
} // namespace actorswarm::persistence

namespace actorswarm::control {

/// Spawns the control actor; `node` handles membership requests, `clk` is
/// the wall clock proposals are stamped with. `dir`, if given (it must
/// outlive the actor), is locked and unlocked as the cluster's autolock
/// setting says (actors/control/autolock.hpp) whenever an applied batch
/// may have changed it.
control_actor_type spawn_control(caf::actor_system& sys,
                                 requests_actor_type node, node::clock& clk,
                                 persistence::data_dir* dir = nullptr);

} // namespace actorswarm::control
