#pragma once

// The raft transport actor: carries RaftMessages between managers over CAF's
// middleman (BASP) on the cluster port, every message in an Envelope
// (net/envelope.hpp). One link per peer: it dials the peer's address from
// the membership (or answers over the connection the peer opened), queues
// what it cannot send yet (bounded), and redials with exponential backoff.
// When a link's connection closes it tells the raft peer (peer_down_atom), so
// a follower of a dead leader can grant a pre-vote at once.
//
// Besides Raft it carries requests between managers (write forwarding to
// the leader, swarm join): one request envelope, one REPLY envelope, over
// CAF's request/response with a timeout.
//
// Receives: (raft_msg_atom, RaftMessage) from the local raft peer: send;
//           (Envelope) from remote transports: check, then forward;
//           (rpc_atom, Envelope) -> Envelope from remote transports: check,
//             pass the payload to the local server of its kind, seal the
//             answer as REPLY;
//           (rpc_atom, uint64_t raft_id | string addr, int32_t kind, string
//             payload) -> string reply payload | error (unreachable,
//             timeout), from local actors: a request to a member or address;
//           (serve_atom, int32_t kind, actor): who answers requests of kind
//             (it receives (rpc_atom, int32_t kind, string) -> string);
//           (peers_atom, ConfState) from the local raft peer: addresses;
//           (peers_atom, actor raft): the local raft peer;
//           (raft_atom, uint64_t raft_id): this node's Raft id changed.
// Sends:    (Envelope) and (rpc_atom, Envelope) to remote transports;
//           (raft_msg_atom, RaftMessage) and (peer_down_atom, uint64_t
//           raft_id) to the local raft peer.

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"

#include "net/envelope.hpp"

namespace actorswarm::net {

/// Tunables of the transport (backoff in ms, queue bound).
struct raft_transport_config {
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
caf::actor spawn_raft_transport(caf::actor_system& sys,
                                raft_transport_config cfg);

/// Opens the cluster port `host:port` (127.0.0.1 in tests) for `transport`;
/// returns the bound port or the reason it could not bind. Blocking: call
/// from the daemon's start-up, not from an actor's handler.
result<uint16_t> publish_transport(caf::actor_system& sys,
                                   const caf::actor& transport,
                                   const std::string& host, uint16_t port);

} // namespace actorswarm::net
