#pragma once

// One call registers every type-id block of actorswarm (STYLE.md R7): the
// messages block (messages/type_ids.hpp), each component's block (raft,
// store, task, ...: beside each component's interface) and the embedding
// API's block (include/actorswarm/embed.hpp), plus the actorswarm error
// category that renders errc in sys.render(err). The daemon, the actor
// tests and embedders (include/actorswarm/embed.hpp declares the same
// function) all go through it. It lives above the components, not in
// messages/, because it names every component's block.

#include "caf/fwd.hpp"

namespace actorswarm {

/// Adds every actorswarm message type and the actorswarm error category to
/// `cfg`. Call once, before constructing the actor system.
void register_types(caf::actor_system_config& cfg);

} // namespace actorswarm
