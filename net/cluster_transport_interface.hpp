#pragma once

// The cluster transport's protocol (net/cluster_transport.hpp): every message
// between nodes travels through it in an Envelope, over the cluster port's
// mutual-TLS wire (net/tls_wire.hpp). Local actors use it to send
// RaftMessages, to call a request of some kind on another node, and to
// serve requests of a kind; the wire reports connections and frames to it.
// Its own atoms start with `cluster_` or `wire_`.

#include <cstdint>
#include <string>
#include <vector>

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
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_join_atom, "cljoin")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_creds_atom, "clcreds")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_timeout_atom, "cltimeout")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_retire_atom, "clretire")
CAF_ADD_ATOM(actorswarm, actorswarm, wire_up_atom, "wireup")
CAF_ADD_ATOM(actorswarm, actorswarm, wire_frame_atom, "wireframe")
CAF_ADD_ATOM(actorswarm, actorswarm, wire_down_atom, "wiredown")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_raft_atom, "clraft")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_raft_id_atom, "clraftid")
CAF_ADD_ATOM(actorswarm, actorswarm, cluster_revoke_atom, "clrevoke")

namespace actorswarm::net {

/// What the transport needs of a local server of one envelope kind (the
/// store for PROPOSE, the node for JOIN, CONTROL and ROLE, the agent gate
/// for SESSION, HEARTBEAT and STATUS, a worker's dispatcher link for
/// ASSIGN).
using cluster_server_actor_type = caf::typed_actor<
  /// A request of `kind` with its payload from the node `sender` (the CN of
  /// its verified certificate; empty for a joiner, which may only JOIN);
  /// the answer is the reply's payload, sealed as REPLY.
  caf::replies_to<rpc_atom, int32_t, std::string,
                  std::string>::with<std::string>>;

/// What the transport needs of the local raft peer.
using cluster_raft_actor_type = caf::typed_actor<
  /// A RaftMessage from a peer (checked envelope, sender matches).
  caf::reacts_to<raft_msg_atom, pb::RaftMessage>,
  /// The connection to peer `raft_id` closed.
  caf::reacts_to<peer_down_atom, uint64_t>>;

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
  /// Certificates naming these node ids (removed by `node rm`) are refused
  /// from now on and their connections close; replaces the previous list.
  /// From the node's revocation watch (the store's Cluster.removed_nodes).
  caf::reacts_to<cluster_revoke_atom, std::vector<std::string>>,
  /// Joins through the manager at `addr`: dials it without a certificate,
  /// accepts it only if its CA's SHA-256 is `pinned_root` (32 raw bytes,
  /// from the join token), sends the JoinRequest `payload` and answers with
  /// the JoinReply's bytes. From the join actor.
  caf::replies_to<cluster_join_atom, std::string, std::string,
                  std::string>::with<std::string>,
  /// This node's credentials changed (init, join, role change, renewal,
  /// CA rotation, leave: empty). The first ones open the cluster port;
  /// answers true, or why the port could not open ("cannot listen on
  /// HOST:PORT: ...") or the credentials were refused.
  caf::replies_to<cluster_creds_atom, pb::NodeCredentials>::with<bool>,
  /// Internal: dial peer `raft_id` again after a backoff.
  caf::reacts_to<redial_atom, uint64_t>,
  /// Internal: request `id` timed out.
  caf::reacts_to<cluster_timeout_atom, uint64_t>,
  /// Internal: close the connections made under credentials older than
  /// reload number `n` (their requests had time to finish).
  caf::reacts_to<cluster_retire_atom, uint64_t>,
  /// From the wire: connection `c` is up; the peer is authenticated (or a
  /// joiner), with its CN and OU.
  caf::reacts_to<wire_up_atom, uint64_t, bool, std::string, std::string>,
  /// From the wire: one frame (an Envelope's bytes) on `c`.
  caf::reacts_to<wire_frame_atom, uint64_t, std::string>,
  /// From the wire: `c` closed (or its dial failed), and why.
  caf::reacts_to<wire_down_atom, uint64_t, std::string>>
  // From the local raft peer: send RaftMessages, learn member addresses.
  ::extend_with<raft::raft_network_actor_type>;

} // namespace actorswarm::net
