#pragma once

// The cluster transport actor: carries all traffic between nodes over CAF's
// middleman (BASP) on the cluster port, every message in an Envelope
// (net/envelope.hpp): RaftMessages between managers (RAFT), and requests
// (PROPOSE: write forwarding to the leader; JOIN; CONTROL and ROLE:
// membership changes; SESSION, HEARTBEAT, STATUS and ASSIGN: agents and
// dispatchers), each one request envelope and one REPLY envelope over CAF's
// request/response with a timeout. One link per peer: it dials the peer's
// address from the membership (or answers over the connection the peer
// opened), queues what it cannot send yet (bounded), and redials with
// exponential backoff. When a link's connection closes it tells the raft
// peer (peer_down_atom), so a follower of a dead leader can grant a
// pre-vote at once.
//
// It is the one place where CAF hands out dynamically typed handles (the
// middleman's remote actors): it converts them to cluster_peer_actor_type
// in to_peer(); every other handle it holds or gives out is typed.
//
// Receives: cluster_transport_actor_type (net/cluster_transport_interface.hpp):
//             RaftMessages and member addresses from the local raft peer;
//             envelopes and request envelopes from remote transports
//             (checked, then passed to the raft peer or to the local
//             server of their kind, whose answer goes back sealed as
//             REPLY); requests to a member or an address from local actors;
//             who serves which kind; the local raft peer; this node's Raft
//             id.
// Sends:    envelopes and request envelopes to remote transports
//             (cluster_peer_actor_type); RaftMessages and peer-down notices
//             to the local raft peer (cluster_raft_actor_type); requests to
//             local servers (cluster_server_actor_type).

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"

#include "net/cluster_transport_interface.hpp"
#include "net/envelope.hpp"

namespace actorswarm::net {

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
};

/// Spawns the transport. Publish it on the cluster port with
/// publish_transport().
cluster_transport_actor_type
spawn_cluster_transport(caf::actor_system& sys, cluster_transport_config cfg);

/// Opens the cluster port `host:port` (127.0.0.1 in tests) for `transport`;
/// returns the bound port or the reason it could not bind. Blocking: call
/// from the daemon's start-up, not from an actor's handler.
result<uint16_t>
publish_transport(caf::actor_system& sys,
                  const cluster_transport_actor_type& transport,
                  const std::string& host, uint16_t port);

} // namespace actorswarm::net
