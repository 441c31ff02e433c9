#pragma once

// The first CAF type id of every component's type-id block, in one place
// (STYLE.md R7). CAF 0.17 numbers the types of a block from its first id
// on; the blocks must not overlap. Each block header static_asserts that it
// ends before the next block begins, and embed/register_types.cpp checks
// every pair again with all blocks in sight. A component that adds a block
// takes the id listed here; a new component appends a new line.
//
// No block lives here but the messages block's number: messages/ includes
// nothing of actors/ (messages/type_ids.hpp holds only the protobuf types).

#include "caf/type_id.hpp"

namespace actorswarm::type_id_blocks {

/// messages/type_ids.hpp: protobuf messages and plain wire types.
constexpr caf::type_id_t messages = caf::first_custom_type_id; // 200
/// actors/raft/raft_interface.hpp: apply batches, raft status.
constexpr caf::type_id_t raft = 300;
/// actors/store/store_interface.hpp: change sets, store views.
constexpr caf::type_id_t store = 320;
/// actors/task/task_interface.hpp: process exit facts.
constexpr caf::type_id_t task = 340;
/// The dispatcher's in-process types.
constexpr caf::type_id_t dispatcher = 360;
/// The node supervisor's and membership's in-process types.
constexpr caf::type_id_t node = 380;
/// The control actor's in-process types.
constexpr caf::type_id_t control = 400;
/// include/actorswarm/embed.hpp: what embedders receive.
constexpr caf::type_id_t embed = 420;
/// actors/dns/dns_interface.hpp: zone snapshots.
constexpr caf::type_id_t dns = 440;
/// One past the last id any block may use (the dns block ends before it).
constexpr caf::type_id_t limit = 460;

/// Whether a block ending at `end` (one past its last id) leaves room for
/// the block that starts at `next`.
constexpr bool fits(caf::type_id_t end, caf::type_id_t next) {
  return end <= next;
}

static_assert(messages < raft && raft < store && store < task
                && task < dispatcher && dispatcher < node && node < control
                && control < embed && embed < dns && dns < limit,
              "type-id blocks are listed in increasing order");

} // namespace actorswarm::type_id_blocks
