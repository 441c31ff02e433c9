#pragma once

// The envelope of every cluster message (DESIGN.md, Network): sealing on the
// sending side (identity, epoch, sequence number) and the receiving side's
// checks. This is the one seam where the security layer (issue #4) will
// fill and verify `auth`; until then links are plain and tests bind them to
// loopback. No CAF here: the transport actor calls it.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "messages/cluster.pb.h"
#include "messages/result.hpp"

namespace actorswarm::net {

/// Who seals: this process's node id, raft id and epoch.
struct sender_identity {
  std::string node_id;
  uint64_t raft_id = 0;
  /// Random, non-zero, new at every process start.
  uint64_t epoch = 0;
};

/// Seals every outgoing message of one process (all links share one
/// counter, so each receiver sees increasing numbers); starts at 1.
class envelope_sealer {
public:
  explicit envelope_sealer(sender_identity id) : id_(std::move(id)) {
    // nop
  }

  /// Wraps `payload` of `kind` with the next sequence number.
  pb::Envelope seal(pb::Envelope::Kind kind, std::string payload);

  /// This node got a new Raft id (demoted, then promoted again); the
  /// numbering goes on.
  void set_raft_id(uint64_t id) {
    id_.raft_id = id;
  }

private:
  sender_identity id_;
  uint64_t next_seq_ = 1;
};

/// Authenticates an envelope (the security layer's hook); the default
/// accepts only an empty auth field (plain links).
using authenticator = std::function<bool(const pb::Envelope&)>;

/// Receiving side: drops what is unauthenticated, malformed, or replayed
/// within a sender's epoch. A new epoch of a sender (it restarted) starts
/// its sequence numbers over. Numbers may arrive a little out of order (a
/// request and a one-way message racing on two connections): each number
/// within `window` below the highest seen is accepted once (IPsec's
/// anti-replay window, RFC 4303 §3.4.3); older ones are refused.
class envelope_checker {
public:
  explicit envelope_checker(authenticator auth = {});

  /// Accepts `x` or says why not (errc::refused, errc::bad_request).
  status accept(const pb::Envelope& x);

private:
  static constexpr uint64_t window = 64;

  struct sender_state {
    uint64_t epoch = 0;
    uint64_t last_seq = 0;
    uint64_t seen = 0; // bit i: last_seq - i was accepted
  };

  authenticator auth_;
  std::map<std::string, sender_state> senders_; // by sender node id
};

} // namespace actorswarm::net
