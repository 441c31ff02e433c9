#pragma once

// The cluster transport's protocol (net/cluster_transport.hpp): every message
// between nodes travels through it in an Envelope. Local actors use it to
// send RaftMessages, to call a request of some kind on another node, and
// to serve requests of a kind; remote transports reach it over CAF's
// middleman. Its own atoms start with `cluster_`.

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "actors/raft/raft_interface.hpp"
#include "messages/cluster.pb.h"
#include "messages/type_ids.hpp"

CAF_ADD_ATOM(actorswarm, actorswarm, rpc_atom, "rpc")
CAF_ADD_ATOM(actorswarm, actorswarm, serve_atom, "serve")
CAF_ADD_ATOM(actorswarm, actorswarm, redial_atom, "redial")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_call_atom, "clcall")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_request_atom, "clrequest")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_raft_atom, "clraft")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_raft_id_atom, "clraftid")

namespace actorswarm::net {

/// What the transport needs of a local server of one envelope kind (the
/// store for PROPOSE, the node for JOIN, CONTROL and ROLE, the agent gate
/// for SESSION, HEARTBEAT and STATUS, a worker's dispatcher link for
/// ASSIGN).
using cluster_server_actor_type = caf::typed_actor<
  /// A request of `kind` with its payload from another node; the answer is
  /// the reply's payload, sealed as REPLY.
  caf::replies_to<rpc_atom, int32_t, std::string>::with<std::string>>;

/// What the transport needs of the local raft peer.
using cluster_raft_actor_type = caf::typed_actor<
  /// A RaftMessage from a peer (checked envelope, sender matches).
  caf::reacts_to<raft_msg_atom, pb::RaftMessage>,
  /// The connection to peer `raft_id` closed.
  caf::reacts_to<peer_down_atom, uint64_t>>;

/// A transport on another node, as this one sees it: a remote actor of
/// CAF's middleman, converted from its dynamic handle in one place
/// (net/cluster_transport.cpp, to_peer()).
using cluster_peer_actor_type = caf::typed_actor<
  /// A one-way envelope (RAFT).
  caf::reacts_to<pb::Envelope>,
  /// A request envelope; the answer is a REPLY envelope.
  caf::replies_to<cluster_request_atom, pb::Envelope>::with<pb::Envelope>>;

/// The cluster transport (net/cluster_transport.hpp).
using cluster_transport_actor_type = caf::typed_actor<
  /// Calls a request of `kind` on the manager with Raft id `raft_id`;
  /// answers with the reply's payload, or an error (unreachable, timeout,
  /// no address for that member).
  caf::replies_to<cluster_call_atom, uint64_t, int32_t,
                  std::string>::with<std::string>,
  /// Calls a request of `kind` on the node at `addr` (IP:PORT).
  caf::replies_to<cluster_call_atom, std::string, int32_t,
                  std::string>::with<std::string>,
  /// From now on requests of `kind` arriving here go to `server`.
  caf::reacts_to<serve_atom, int32_t, cluster_server_actor_type>,
  /// From now on RaftMessages arriving here go to `raft`. From the store.
  caf::reacts_to<cluster_raft_atom, cluster_raft_actor_type>,
  /// This node's Raft id changed (promoted again after a demotion). From
  /// the node.
  caf::reacts_to<cluster_raft_id_atom, uint64_t>,
  /// Internal: dial peer `raft_id` again after a backoff.
  caf::reacts_to<redial_atom, uint64_t>>
  // From the local raft peer: send RaftMessages, learn member addresses.
  ::extend_with<raft::raft_network_actor_type>
  // From remote transports.
  ::extend_with<cluster_peer_actor_type>;

} // namespace actorswarm::net
