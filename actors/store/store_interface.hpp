#pragma once

// The store actor's protocol (actors/store/store_actor.hpp), the roles it
// calls back (a subscriber receives change sets, a leader watcher receives
// the raft status), and two helpers every watcher uses: subscribe() and
// propose_then(). Watchers: allocator, scheduler, orchestrator, dispatcher,
// control, and embedders' task watchers (through the node).

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "caf/all.hpp"

#include "actors/raft/raft_interface.hpp"
#include "messages/defaults.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "net/cluster_transport_interface.hpp"

// -- type-id block --------------------------------------------------
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

CAF_ADD_ATOM(actorswarm, actorswarm, propose_atom, "propose")
CAF_ADD_ATOM(actorswarm, actorswarm, subscribe_atom, "subscribe")
CAF_ADD_ATOM(actorswarm, actorswarm, events_atom, "events")
CAF_ADD_ATOM(actorswarm, actorswarm, view_atom, "view")
CAF_ADD_ATOM(actorswarm, actorswarm, watch_atom, "watch")
CAF_ADD_ATOM(actorswarm, actorswarm, raft_atom, "raft")
CAF_ADD_ATOM(actorswarm, actorswarm, conf_atom, "conf")
CAF_ADD_ATOM(actorswarm, actorswarm, read_atom, "read")
CAF_ADD_ATOM(actorswarm, actorswarm, store_connect_atom, "stconnect")

namespace actorswarm::store {

/// How long this node's actors wait on their own store (cluster_defaults).
constexpr auto store_timeout
  = std::chrono::milliseconds(cluster_defaults::store_request_timeout_ms);

/// What a watcher must accept once subscribed.
using subscriber_actor_type = caf::typed_actor<
  /// The changes of one applied entry (or of an installed snapshot), in
  /// log order; never empty.
  caf::reacts_to<events_atom, change_set_ptr>>;

/// What an actor that watches leadership must accept.
using leader_watcher_actor_type = caf::typed_actor<
  /// Leader, term, role or membership changed (and once when watching
  /// starts, if known).
  caf::reacts_to<leader_atom, raft::raft_status_ptr>>;

/// The store actor (actors/store/store_actor.hpp).
using store_actor_type = caf::typed_actor<
  /// A write: answered with the entry's log index once it is committed and
  /// applied on this replica; error when the batch is refused (atomic
  /// batch with a failing action: its first error), not_leader without a
  /// leader or when leadership is lost before the commit.
  caf::replies_to<propose_atom, pb::StoreBatch>::with<uint64_t>,
  /// A membership change, on the leader: answered with its log index once
  /// applied here. From the node.
  caf::replies_to<conf_atom, pb::ConfChange>::with<uint64_t>,
  /// ReadIndex: true once this replica applied the leader's commit index,
  /// false when no leader answered within an election timeout (serve the
  /// read, but stale).
  caf::replies_to<read_atom>::with<bool>,
  /// Registers `who` for change sets and answers with the current view;
  /// the change sets after it follow in log order. Dropped when it dies.
  caf::replies_to<subscribe_atom, subscriber_actor_type>::with<store_view_ptr>,
  /// Registers `who` for the raft status, sent now (if known) and on every
  /// leader or role change. From the node.
  caf::reacts_to<watch_atom, leader_watcher_actor_type>,
  /// The current state (a copy; no events follow).
  caf::replies_to<view_atom>::with<store_view_ptr>,
  /// The raft peer's live view (delegated to the raft peer).
  caf::replies_to<raft_status_atom>::with<raft::raft_status_ptr>,
  /// The raft peer (it dies with the store; the node watches it on leave).
  caf::replies_to<raft_atom>::with<raft::raft_actor_type>,
  /// Hands leadership to voter `raft_id` (delegated to the raft peer).
  caf::replies_to<transfer_atom, uint64_t>::with<bool>,
  /// Connects the raft peer to the cluster transport and serves PROPOSE
  /// requests that followers forward. From the node.
  caf::reacts_to<store_connect_atom, net::cluster_transport_actor_type>>
  // From the raft peer: apply committed entries, leader changes.
  ::extend_with<raft::raft_state_machine_actor_type>
  // From the transport: proposals forwarded by followers (PROPOSE).
  ::extend_with<net::cluster_server_actor_type>;

/// Subscribes `self` to `store`. `on_view(const store_view_ptr&)` runs first
/// (awaited, so no change set is handled before the view exists); then
/// (events_atom, change_set_ptr) messages arrive in log order.
template <class Self, class F>
void subscribe(Self* self, const store_actor_type& store, F on_view) {
  self
    ->request(store, caf::infinite, subscribe_atom::value,
              subscriber_actor_type{self})
    .await(std::move(on_view));
}

/// Proposes `batch`; `done()` runs once the store answered, whatever the
/// outcome. A refusal is logged on the logger `who`: watchers correct
/// themselves from the next change set, so they need no error path.
template <class Self, class F>
void propose_then(Self* self, const store_actor_type& store,
                  pb::StoreBatch batch, const char* who, F done) {
  self->request(store, caf::infinite, propose_atom::value, std::move(batch))
    .then([done](uint64_t) mutable { done(); },
          [done, who](caf::error& err) mutable {
            logger(who)->warn("batch refused: {}", caf::to_string(err));
            done();
          });
}

} // namespace actorswarm::store
