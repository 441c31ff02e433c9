#pragma once

// The typed handle of a node's control actor, as far as the embedding API
// needs it: the requests the CLI sends.
// The control actor's interface (actors/control/control_interface.hpp)
// declares the full protocol; this alias is the subset an embedder sends
// (control::requests_actor_type), to which that interface converts.

#include "caf/error.hpp"
#include "caf/replies_to.hpp"
#include "caf/sec.hpp"
#include "caf/typed_actor.hpp"

#include "actors/control/control_interface.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm {

/// A node's control actor: every request of messages/control.proto, one
/// ControlRequest each, answered with a ControlReply. A refused request
/// answers too: `code` != 0 and a one-line `error` (reply_error()).
using control_handle = caf::typed_actor<
  caf::replies_to<control_atom, pb::ControlRequest>::with<pb::ControlReply>>;

} // namespace actorswarm
