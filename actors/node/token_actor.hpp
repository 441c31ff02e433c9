#pragma once

// A token request answers one `swarm join-token [--rotate] ROLE` from the
// cluster object: the role's join token, or, with --rotate, a new secret
// stored first (Docker's "Successfully rotated ... join token.").
//
// Protocol: token_interface.hpp.
// Sends:    (view_atom) and (propose_atom, StoreBatch) to the store.

#include <string>

#include "caf/fwd.hpp"

#include "actors/node/token_interface.hpp"
#include "actors/store/store_interface.hpp"

namespace actorswarm::node {

class clock;

/// Spawns a token request of the manager at `addr` linked to `parent`.
///
token_actor_type spawn_token(caf::local_actor* parent,
                             store::store_actor_type store, clock& clk,
                             pb::JoinTokenRequest req, std::string addr);

} // namespace actorswarm::node
