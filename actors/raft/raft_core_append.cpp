// Log replication: AppendEntries and heartbeats, their answers, pipelining
// and flow control, commitment (Raft §5.3, §5.4.2).

#include <algorithm>

#include "actors/raft/conf_change.hpp"
#include "actors/raft/raft_core.hpp"
#include "messages/assert.hpp"

namespace actorswarm::raft {

void raft_core::step_leader(const pb::RaftMessage& m) {
  using t = pb::RaftMessage;
  if (m.type() == t::READ_INDEX) {
    leader_read_index(m.from(), m.context());
    return;
  }
  auto i = prs_.find(m.from());
  if (i == prs_.end())
    return; // not (or no longer) a member
  switch (m.type()) {
    case t::APP_RESP:
      handle_append_resp(m, i->second);
      break;
    case t::HEARTBEAT_RESP:
      handle_heartbeat_resp(m, i->second);
      break;
    default:
      break;
  }
}

void raft_core::handle_append_resp(const pb::RaftMessage& m, progress& pr) {
  pr.recent_active = true;
  if (m.reject()) {
    // Raft §5.3: back off and retry; the follower's hint skips a whole
    // conflicting term at once (etcd's findConflictByTerm).
    auto next_probe = m.reject_hint();
    if (m.log_term() > 0)
      next_probe
        = log_.find_conflict_by_term(m.reject_hint(), m.log_term()).first;
    if (pr.maybe_decr_to(m.index(), next_probe)) {
      if (pr.state == progress_state::replicate)
        pr.become_probe();
      send_append(m.from());
    }
    return;
  }
  bool old_paused = pr.is_paused();
  if (!pr.maybe_update(m.index())
      && !(pr.match == m.index() && pr.state == progress_state::probe))
    return;
  switch (pr.state) {
    case progress_state::probe:
      pr.become_replicate();
      break;
    case progress_state::snapshot:
      // The follower has the snapshot (or caught up otherwise).
      if (pr.match + 1 >= log_.first_index()) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case progress_state::replicate:
      pr.inflight.free_le(m.index());
      break;
  }
  if (maybe_commit())
    bcast_append();
  else if (old_paused)
    send_append(m.from());
  // Pipelining: fill the window while there is more to send.
  for (uint64_t k = 0; k < cfg_.max_inflight_msgs; ++k)
    if (!maybe_send_append(m.from(), false))
      break;
  if (m.from() == lead_transferee_ && pr.match == log_.last_index()) {
    pb::RaftMessage r;
    r.set_type(pb::RaftMessage::TIMEOUT_NOW);
    r.set_to(m.from());
    send(std::move(r));
  }
}

void raft_core::handle_heartbeat_resp(const pb::RaftMessage& m, progress& pr) {
  pr.recent_active = true;
  pr.probe_sent = false;
  // A heartbeat answer proves the follower is alive: let one more append
  // through a full window (etcd).
  if (pr.state == progress_state::replicate && pr.inflight.full())
    pr.inflight.free_first_one();
  if (pr.match < log_.last_index() || pr.state == progress_state::probe)
    send_append(m.from());
  if (!m.context().empty())
    ack_read(m.from(), m.context());
}

bool raft_core::maybe_send_append(uint64_t to, bool send_if_empty) {
  auto& pr = prs_.at(to);
  if (pr.is_paused())
    return false;
  // A follower with nothing of ours yet (a new member) that needs entries
  // a snapshot covers gets the snapshot: one restore instead of replaying
  // the log behind it.
  if (pr.match == 0 && pr.next <= log_.latest_snapshot_index())
    return send_snapshot(to, pr);
  auto prev_term = log_.term(pr.next - 1);
  auto ents = log_.entries(pr.next, cfg_.max_size_per_msg_bytes);
  if (!prev_term || !ents)
    return send_snapshot(to, pr); // the entries were compacted
  if (ents->empty() && !send_if_empty)
    return false;
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::APP);
  m.set_to(to);
  m.set_index(pr.next - 1);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  if (!ents->empty()) {
    auto last = ents->back().index();
    if (pr.state == progress_state::replicate) {
      pr.optimistic_update(last);
      pr.inflight.add(last);
    } else {
      pr.probe_sent = true;
    }
    for (auto& e : *ents)
      *m.add_entries() = std::move(e);
  }
  send(std::move(m));
  return true;
}

void raft_core::send_append(uint64_t to) {
  maybe_send_append(to, true);
}

void raft_core::bcast_append() {
  for (const auto& [id, pr] : prs_)
    if (id != cfg_.id)
      send_append(id);
}

void raft_core::bcast_heartbeat(const std::string& ctx) {
  for (const auto& [id, pr] : prs_) {
    if (id == cfg_.id)
      continue;
    pb::RaftMessage m;
    m.set_type(pb::RaftMessage::HEARTBEAT);
    m.set_to(id);
    // Never tell a follower to commit beyond what it is known to hold.
    m.set_commit(std::min(pr.match, log_.committed()));
    m.set_context(ctx);
    send(std::move(m));
  }
}

void raft_core::handle_append(const pb::RaftMessage& m) {
  pb::RaftMessage r;
  r.set_type(pb::RaftMessage::APP_RESP);
  r.set_to(m.from());
  if (m.index() < log_.committed()) {
    // Everything up to commit is known to match.
    r.set_index(log_.committed());
    send(std::move(r));
    return;
  }
  std::vector<pb::Entry> xs(m.entries().begin(), m.entries().end());
  if (auto last_new = log_.maybe_append(m.index(), m.log_term(), m.commit(),
                                        xs)) {
    r.set_index(*last_new);
    send(std::move(r));
    return;
  }
  // Raft §5.3: our log lacks (index, log_term); reject with a hint.
  auto hint = std::min(m.index(), log_.last_index());
  auto [hint_index, hint_term] = log_.find_conflict_by_term(hint, m.log_term());
  r.set_index(m.index());
  r.set_reject(true);
  r.set_reject_hint(hint_index);
  r.set_log_term(hint_term);
  send(std::move(r));
}

void raft_core::handle_heartbeat(const pb::RaftMessage& m) {
  log_.commit_to(m.commit());
  pb::RaftMessage r;
  r.set_type(pb::RaftMessage::HEARTBEAT_RESP);
  r.set_to(m.from());
  r.set_context(m.context());
  send(std::move(r));
}

bool raft_core::maybe_commit() {
  std::vector<uint64_t> match;
  for (auto id : voters()) {
    auto i = prs_.find(id);
    match.push_back(i == prs_.end() ? 0 : i->second.match);
  }
  // Raft §5.4.2: only entries of the current term commit by counting.
  if (!log_.maybe_commit(majority_index(std::move(match)), term_))
    return false;
  release_deferred_reads();
  return true;
}

} // namespace actorswarm::raft
