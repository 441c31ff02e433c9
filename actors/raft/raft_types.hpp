#pragma once

// The raft block (STYLE.md R7): the raft peer's in-process message types,
// registered by actors/register_types.hpp. Shared pointers to immutable
// values: an apply batch may hold megabytes of entries and travels to the
// state machine without a copy; neither type ever leaves the process, so
// both are marked unsafe-for-the-wire.

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/type_id.hpp"

#include "actors/raft/apply_batch.hpp"
#include "messages/type_id_blocks.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_raft, ::actorswarm::type_id_blocks::raft)

CAF_ADD_TYPE_ID(actorswarm_raft, (actorswarm::raft::apply_batch_ptr))
CAF_ADD_TYPE_ID(actorswarm_raft, (actorswarm::raft::raft_status_ptr))

CAF_END_TYPE_ID_BLOCK(actorswarm_raft)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_raft::end,
                                     ::actorswarm::type_id_blocks::store),
  "the raft block runs into the store block");

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::raft::apply_batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::raft::raft_status_ptr)
