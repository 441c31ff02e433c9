#pragma once

// The cluster transport actor: carries all traffic between nodes over the
// cluster port's mutual-TLS wire (net/tls_wire.hpp), every message in an
// Envelope (net/envelope.hpp) in one frame: RaftMessages between managers
// (RAFT), and requests (PROPOSE: write forwarding to the leader; JOIN;
// CONTROL and ROLE: membership changes; SESSION, HEARTBEAT, STATUS and
// ASSIGN: agents and dispatchers), each one request envelope with a request
// id and one REPLY envelope, with a timeout. A peer's identity is its
// verified certificate (CN node id, OU role); net::authorize() decides what
// it may send. One link per Raft peer: it dials the peer's address from the
// membership (or answers over the connection the peer opened), queues what
// it cannot send yet (bounded), and redials with exponential backoff. When a
// link's connection closes it tells the raft peer (peer_down_atom), so a
// follower of a dead leader can grant a pre-vote at once.
//
// Until this node has credentials (not in a swarm) it only dials: a join
// goes out without a certificate to a manager pinned by the token's CA
// digest. Its first credentials open the cluster port.
//
// Receives: cluster_transport_actor_type (net/cluster_transport_interface.hpp).
// Sends:    frames to the wire; RaftMessages and peer-down notices to the
//             local raft peer (cluster_raft_actor_type); requests to local
//             servers (cluster_server_actor_type).

#include <cstdint>
#include <optional>
#include <string>

#include "caf/fwd.hpp"

#include "net/cluster_transport_interface.hpp"
#include "net/envelope.hpp"
#include "net/wire_port.hpp"

namespace actorswarm::net {

class raft_lane;

/// Tunables of the transport (backoff in ms, queue bound).
struct cluster_transport_config {
  sender_identity self;
  uint64_t dial_timeout_ms = 2000;
  uint64_t backoff_min_ms = 50;
  uint64_t backoff_max_ms = 2000;
  /// Messages queued per peer while it is unreachable; older ones drop
  /// (Raft retransmits).
  size_t queue_max = 1024;
  /// How long a request may take, answer included.
  uint64_t rpc_timeout_ms = 10000;
  /// Where the cluster port listens once there are credentials.
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 0;
  /// This node's credentials at start (empty: not in a swarm).
  pb::NodeCredentials creds;
  /// Makes the wire (tests pass a fake).
  wire_factory make_wire = tls_wire_factory({});
  /// Shared with the raft actor (its outbox), kept up to date here; null:
  /// every Raft message goes through this actor.
  std::shared_ptr<raft_lane> lane;
};

/// Spawns the transport.
cluster_transport_actor_type
spawn_cluster_transport(caf::actor_system& sys, cluster_transport_config cfg);

/// The wire credentials of `x` (empty when x is).
std::optional<wire_credentials> to_wire(const pb::NodeCredentials& x);

} // namespace actorswarm::net
