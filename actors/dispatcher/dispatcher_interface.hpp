#pragma once

// The dispatcher's protocol (dispatcher_actor.hpp): agents open a session,
// send heartbeats and status batches; the dispatcher sends each session its
// assignments. A remote agent talks to it through the agent server
// (agent_server_interface.hpp), whose agent proxies stand in for the
// agents; on a worker, the agent talks to the dispatcher proxy
// (dispatcher_proxy_interface.hpp), which serves the same session protocol.

#include <string>

#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "actors/store/object_store.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/type_id_blocks.hpp"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, session_atom, "session")
CAF_ADD_ATOM(actorswarm, actorswarm, heartbeat_atom, "heartbeat")
CAF_ADD_ATOM(actorswarm, actorswarm, hb_check_atom, "hbcheck")
CAF_ADD_ATOM(actorswarm, actorswarm, assign_atom, "assign")
CAF_ADD_ATOM(actorswarm, actorswarm, flush_atom, "flush")
CAF_ADD_ATOM(actorswarm, actorswarm, status_batch_atom, "statbatch")
CAF_ADD_ATOM(actorswarm, actorswarm, full_set_retry_atom, "fullretry")
CAF_ADD_ATOM(actorswarm, actorswarm, ready_retry_atom, "readyretry")

namespace actorswarm::dispatcher {

/// An agent as a dispatcher sees it: where its node's assignments go. The
/// agent itself, or on a manager the agent proxy of a remote agent.
using assignee_actor_type = caf::typed_actor<
  /// The node's assignments in one session (`session_id`): the full set
  /// (`full`) when the session starts, then the changes of each commit.
  /// From the dispatcher (or the dispatcher proxy); no reply.
  caf::reacts_to<assign_atom, pb::Assignments>>;

/// What hosts an agent's session: the dispatcher on a manager, the
/// dispatcher proxy on a worker. Agents and the agent server use it.
using session_host_actor_type = caf::typed_actor<
  /// Opens a session for the agent of `req.node_id()`, whose assignments go
  /// to the handle; a newer session of the same node replaces the older.
  /// Replies the session id and the heartbeat period.
  caf::replies_to<session_atom, pb::SessionRequest,
                  assignee_actor_type>::with<pb::SessionReply>,
  /// A heartbeat of a session; one of another session is ignored. No reply.
  caf::reacts_to<heartbeat_atom, pb::Heartbeat>,
  /// Task status reports of one node; only forward moves reach the store.
  /// No reply.
  caf::reacts_to<status_batch_atom, pb::StatusBatch>>;

/// The dispatcher (on the leader).
using dispatcher_actor_type = session_host_actor_type::extend<
  /// The store's committed changes, in log order (the store calls its
  /// subscribers so); no reply.
  caf::reacts_to<events_atom, store::change_set_ptr>,
  /// internal: proposes the status reports buffered since the last flush.
  caf::reacts_to<flush_atom>,
  /// internal: the heartbeat check timer; marks silent nodes down.
  caf::reacts_to<hb_check_atom>,
  /// internal: (node id, session id) retries a session's full set once this
  /// replica is current.
  caf::reacts_to<full_set_retry_atom, std::string, std::string>,
  /// internal: (node id, session id) marks a session's node ready again:
  /// the first proposal failed (no leader known yet, a leader change).
  caf::reacts_to<ready_retry_atom, std::string, std::string>>;

} // namespace actorswarm::dispatcher

// Handles that travel in messages (session requests), in the dispatcher's
// type-id block (first id in messages/type_id_blocks.hpp).
CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_dispatcher,
                        ::actorswarm::type_id_blocks::dispatcher)

CAF_ADD_TYPE_ID(actorswarm_dispatcher,
                (actorswarm::dispatcher::assignee_actor_type))

CAF_END_TYPE_ID_BLOCK(actorswarm_dispatcher)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_dispatcher::end,
                                     ::actorswarm::type_id_blocks::node),
  "the dispatcher block runs into the node block");
