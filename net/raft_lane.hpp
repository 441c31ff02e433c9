#pragma once

// The cluster transport's raft_outbox (actors/raft/raft_outbox.hpp): the
// connections the transport actor found open, by Raft id, shared with the
// raft actor under a mutex. The transport actor stays the owner: it opens a
// route when it sent a Raft message over an open connection, and closes
// routes when a connection goes down, membership changes or the wire is
// replaced; a message that finds no route goes through the transport actor
// as before. A route that went stale in between loses a message to a closed
// connection (the wire drops it), which Raft retransmits like any loss.

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "actors/raft/raft_outbox.hpp"
#include "net/envelope.hpp"
#include "net/wire_port.hpp"

namespace actorswarm::net {

class raft_lane final : public raft::raft_outbox {
public:
  bool try_send(const pb::RaftMessage& m) override;

  /// The wire to send on and who seals (a copy sharing the transport's
  /// sequence numbers); null detaches and forgets every route. The wire
  /// must stay alive until detached.
  void attach(wire_port* w, std::optional<envelope_sealer> sealer);

  /// Raft peer `raft_id` is reachable on the wire's connection `c`.
  void open(uint64_t raft_id, conn_id c);

  /// Connection `c` of the attached wire went down.
  void close(conn_id c);

  /// Forgets every route (membership or addresses changed).
  void clear();

private:
  std::mutex mu_;
  wire_port* wire_ = nullptr;
  std::optional<envelope_sealer> sealer_;
  std::unordered_map<uint64_t, conn_id> routes_;
};

} // namespace actorswarm::net
