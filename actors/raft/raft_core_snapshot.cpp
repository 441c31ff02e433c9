// InstallSnapshot for followers that fell behind the compacted log
// (Raft §7).

#include "actors/raft/conf_change.hpp"
#include "actors/raft/raft_core.hpp"
#include "messages/assert.hpp"

namespace actorswarm::raft {

bool raft_core::send_snapshot(uint64_t to, progress& pr) {
  // Do not ship a snapshot to a peer we have not heard from (etcd).
  if (!pr.recent_active)
    return false;
  auto s = log_.snapshot();
  if (!s)
    return false; // temporarily unavailable; retry on the next heartbeat
  AS_ASSERT(s->metadata().index() != 0);
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::SNAP);
  m.set_to(to);
  pr.become_snapshot(s->metadata().index());
  *m.mutable_snapshot() = std::move(*s);
  send(std::move(m));
  return true;
}

void raft_core::handle_snapshot(const pb::RaftMessage& m) {
  pb::RaftMessage r;
  r.set_type(pb::RaftMessage::APP_RESP);
  r.set_to(m.from());
  if (restore(m.snapshot()))
    r.set_index(log_.last_index());
  else
    r.set_index(log_.committed());
  send(std::move(r));
}

bool raft_core::restore(const pb::Snapshot& s) {
  const auto& md = s.metadata();
  if (md.index() <= log_.committed())
    return false;
  if (log_.match_term(md.index(), md.term())) {
    // We hold the snapshot's last entry: just commit up to it (etcd).
    log_.commit_to(md.index());
    return false;
  }
  log_.restore(s);
  // The membership comes with the snapshot; a joining peer that is not in
  // it yet stays a non-voter until the log tells otherwise.
  conf_ = md.conf_state();
  prs_.clear();
  sync_progress();
  return true;
}

void raft_core::tick_snapshots() {
  auto limit = cfg_.snapshot_retry_ticks != 0 ? cfg_.snapshot_retry_ticks
                                              : 4 * cfg_.election_tick;
  // A lost InstallSnapshot would otherwise pause the follower forever.
  for (auto& [id, pr] : prs_)
    if (pr.state == progress_state::snapshot && ++pr.snapshot_ticks >= limit)
      pr.become_probe();
}

void raft_core::report_snapshot(uint64_t id, bool ok) {
  AS_ASSERT(!awaiting_advance_);
  if (role_ != role::leader)
    return;
  auto i = prs_.find(id);
  if (i == prs_.end() || i->second.state != progress_state::snapshot)
    return;
  auto& pr = i->second;
  if (!ok)
    pr.pending_snapshot = 0;
  // Either way, wait for the follower's answer (or the next heartbeat)
  // before probing again (etcd).
  pr.become_probe();
  pr.probe_sent = true;
}

} // namespace actorswarm::raft
