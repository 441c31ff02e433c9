#pragma once

// The envelope of every cluster message (DESIGN.md, Network): sealing on the
// sending side (identity, epoch, sequence number, request id) and the
// receiving side's authorization of what a verified peer may send. The wire
// (net/tls_wire.hpp) authenticates the peer by its certificate and protects
// every frame against tampering and replay; this decides what that peer
// may ask for. No CAF here: the transport actor calls it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "messages/cluster.pb.h"
#include "messages/result.hpp"
#include "net/tls_wire.hpp"

namespace actorswarm::net {

/// Who seals: this process's node id, raft id and epoch.
struct sender_identity {
  std::string node_id;
  uint64_t raft_id = 0;
  /// Random, non-zero, new at every process start.
  uint64_t epoch = 0;
};

/// Seals every outgoing message of one process; sequence numbers start at
/// 1 and are for logs and debugging (TLS orders and protects frames).
class envelope_sealer {
public:
  explicit envelope_sealer(sender_identity id)
    : id_(std::move(id)),
      next_seq_(std::make_shared<std::atomic<uint64_t>>(1)) {
    // nop
  }

  /// A copy numbers on with the original: seal() may run on several threads
  /// (the transport actor's and, through net/raft_lane.hpp, the raft
  /// actor's), each with its own copy.

  /// Wraps `payload` of `kind` with the next sequence number.
  pb::Envelope seal(pb::Envelope::Kind kind, std::string payload);

  /// This node got a new Raft id (demoted, then promoted again); the
  /// numbering goes on.
  void set_raft_id(uint64_t id) {
    id_.raft_id = id;
  }

private:
  sender_identity id_;
  std::shared_ptr<std::atomic<uint64_t>> next_seq_;
};

/// Whether `x`, arriving from `peer`, may be handled: a peer without a
/// certificate may only send a JOIN request; an authenticated peer must
/// name itself (sender_node_id == its CN); Raft traffic, proposals,
/// membership requests (CONTROL), role changes, assignments and new
/// certificates (CERT, from the leader's CA) come from managers only (OU
/// swarm-manager); agents' SESSION, HEARTBEAT and STATUS
/// and JOIN from any member. On a manager, which knows the Raft group's
/// `voters` (node ids; empty elsewhere), Raft traffic, proposals,
/// membership requests and CERT come from voters only, whatever an older
/// certificate says: a demoted manager's certificate stays valid until it
/// expires, its membership does not. Requests carry a request id, one-way
/// RAFT none, REPLY its request's. The refusal says why, for the log.
status authorize(const pb::Envelope& x, const peer_identity& peer,
                 const std::set<std::string>& voters = {});

} // namespace actorswarm::net
