#pragma once

// The raft peer's protocol (actors/raft/raft_actor.hpp), and the two roles
// it calls on: its state machine (the store) and its network (the cluster
// transport). Every atom here means one thing; the raft peer's own atoms
// start with `raft_`.

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "messages/raft.pb.h"
#include "messages/type_ids.hpp"

// -- type-id block --------------------------------------------------
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

CAF_ADD_ATOM(actorswarm, actorswarm, apply_atom, "apply")
CAF_ADD_ATOM(actorswarm, actorswarm, leader_atom, "leader")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_msg_atom, "raftmsg")
CAF_ADD_ATOM(actorswarm, actorswarm, peer_down_atom, "peerdown")
CAF_ADD_ATOM(actorswarm, actorswarm, transfer_atom, "transfer")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_propose_atom, "raftprop")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_conf_atom, "raftconf")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_read_atom, "raftread")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_timing_atom, "rafttiming")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_tick_atom, "rafttick")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_ready_atom, "raftready")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_status_atom, "raftstatus")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_connect_atom, "raftconn")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_send_atom, "raftsend")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_members_atom, "raftmember")

namespace actorswarm::raft {

/// What the raft peer needs of its network (the cluster transport).
using raft_network_actor_type = caf::typed_actor<
  /// Send `m` to peer `m.to()` (best effort: Raft retransmits).
  caf::reacts_to<raft_send_atom, pb::RaftMessage>,
  /// The voters and their addresses, whenever membership may have changed
  /// (conf change applied, snapshot installed) and when first connected.
  caf::reacts_to<raft_members_atom, pb::ConfState>>;

/// What the raft peer needs of its state machine (the store).
using raft_state_machine_actor_type = caf::typed_actor<
  /// Restore `snapshot` if set, then apply `entries` in order; answers with
  /// the applied index and, if `want_snapshot`, the serialized state (else
  /// an empty string). Awaited: nothing reaches the core until it answers.
  caf::replies_to<apply_atom, apply_batch_ptr>::with<uint64_t, std::string>,
  /// Leader, term, role or membership changed (also sent once at start).
  caf::reacts_to<leader_atom, raft_status_ptr>>;

/// The raft peer (actors/raft/raft_actor.hpp).
using raft_actor_type = caf::typed_actor<
  /// Appends `data` (a serialized StoreBatch) on the leader; answers with
  /// the entry's (index, term) once it is in the core's log, before it
  /// commits; error not_leader on a follower. From the store.
  caf::replies_to<raft_propose_atom, std::string>::with<uint64_t, uint64_t>,
  /// Appends a membership change on the leader; answers like a proposal
  /// (error if one is still pending). From the store.
  caf::replies_to<raft_conf_atom, pb::ConfChange>::with<uint64_t, uint64_t>,
  /// ReadIndex (Raft thesis §6.4): answers with the leader's commit index
  /// once the leader confirmed it still leads; error without a leader or
  /// when leadership changes first. From the store.
  caf::replies_to<raft_read_atom>::with<uint64_t>,
  /// Hands leadership to voter `raft_id`; true once the transfer started.
  /// From the store (delegated from its own transfer_atom).
  caf::replies_to<transfer_atom, uint64_t>::with<bool>,
  /// The cluster spec's (election_tick, heartbeat_tick); ignored when
  /// unchanged or invalid. From the store.
  caf::reacts_to<raft_timing_atom, uint64_t, uint64_t>,
  /// Internal: one tick of the core, `tick_ms` after the last.
  caf::reacts_to<raft_tick_atom>,
  /// Internal: run one turn of the Ready loop (persist, send, apply,
  /// advance); scheduled once whenever the core has a ready.
  caf::reacts_to<raft_ready_atom>,
  /// A RaftMessage from a peer, stepped into the core. From the transport.
  caf::reacts_to<raft_msg_atom, pb::RaftMessage>,
  /// The connection to peer `raft_id` went down. From the transport.
  caf::reacts_to<peer_down_atom, uint64_t>,
  /// Where to send RaftMessages from now on; answers nothing, sends the
  /// current members to it. From the store.
  caf::reacts_to<raft_connect_atom, raft_network_actor_type>,
  /// The live view of the group (leader, members, reachability).
  caf::replies_to<raft_status_atom>::with<raft_status_ptr>>;

} // namespace actorswarm::raft
