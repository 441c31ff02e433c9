#pragma once

// The store block (STYLE.md R7): the store actor's in-process message
// types, registered by actors/register_types.hpp. A change set and a view
// are shared, immutable and never leave the process (unsafe-for-the-wire):
// every watcher gets the same change set without a copy.

#include <memory>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/type_id.hpp"

#include "actors/store/object_store.hpp"
#include "messages/type_id_blocks.hpp"

namespace actorswarm {

/// Read-only state handed to a new watcher; later changes arrive as events.
using store_view_ptr = std::shared_ptr<const store::object_store>;

} // namespace actorswarm

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_store, ::actorswarm::type_id_blocks::store)

CAF_ADD_TYPE_ID(actorswarm_store, (actorswarm::store::change_set_ptr))
CAF_ADD_TYPE_ID(actorswarm_store, (actorswarm::store_view_ptr))

CAF_END_TYPE_ID_BLOCK(actorswarm_store)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_store::end,
                                     ::actorswarm::type_id_blocks::task),
  "the store block runs into the task block");

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::store::change_set_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::store_view_ptr)
