#pragma once

// A way out for Raft messages that skips the transport actor's mailbox.
//
// A leader sends its appends before it writes them (raft_actor.cpp,
// run_ready) so that followers write in parallel with it; but the leader's
// own synced write then holds its CAF worker, and the transport actor that
// would put the appends on the wire waits for a worker too: measured ~80 us
// of a ~700 us write at one client (docs/benchmarks.md, issue #9). An
// outbox, when the transport has one open to the peer, seals the message
// and queues it on the wire's loop thread from the raft actor's own thread.

#include "messages/raft.pb.h"

namespace actorswarm::raft {

class raft_outbox {
public:
  virtual ~raft_outbox() = default;

  /// Queues `m` for peer `m.to()` on a connection the transport reported
  /// open; false when there is none (nothing sent: send it through the
  /// transport actor, which dials and queues). Thread-safe, non-blocking.
  virtual bool try_send(const pb::RaftMessage& m) = 0;
};

} // namespace actorswarm::raft
