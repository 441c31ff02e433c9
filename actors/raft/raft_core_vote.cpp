// Elections: ticks, (pre-)campaigns, vote handling, term rules, leadership
// transfer and the fast-failover hook (Raft §5.1, §5.2, §5.4.1; thesis §9.6
// PreVote, §6.2 CheckQuorum, §3.10 transfer).

#include "actors/raft/conf_change.hpp"
#include "actors/raft/raft_core.hpp"
#include "messages/assert.hpp"
#include "messages/log.hpp"

namespace actorswarm::raft {

void raft_core::tick() {
  AS_ASSERT(!awaiting_advance_);
  if (role_ == role::leader)
    tick_heartbeat();
  else
    tick_election();
}

void raft_core::tick_election() {
  ++election_elapsed_;
  // Raft §5.2: a follower that hears nothing for an election timeout
  // starts an election.
  if (promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    hup(false);
  }
}

void raft_core::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  tick_snapshots();
  if (election_elapsed_ >= cfg_.election_tick) {
    election_elapsed_ = 0;
    // Thesis §6.2: a leader that did not hear from a quorum within an
    // election timeout steps down, so clients find the real leader.
    if (cfg_.check_quorum && !quorum_active()) {
      become_follower(term_, 0);
      return;
    }
    // A transfer that did not finish within an election timeout is aborted.
    abort_leader_transfer();
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    // Repeat the newest pending read round so reads survive a lost
    // heartbeat (etcd).
    bcast_heartbeat(pending_reads_.empty() ? std::string{}
                                           : pending_reads_.back().round);
  }
}

bool raft_core::quorum_active() {
  std::map<uint64_t, bool> active;
  for (auto& [id, pr] : prs_) {
    active.emplace(id, id == cfg_.id || pr.recent_active);
    if (id != cfg_.id)
      pr.recent_active = false;
  }
  return majority_vote(voters(), active) == vote_result::won;
}

void raft_core::campaign_now() {
  AS_ASSERT(!awaiting_advance_);
  hup(false);
}

void raft_core::hup(bool transfer) {
  if (role_ == role::leader || !promotable())
    return;
  if (term_ >= term_max) {
    // term_ + 1 would pass the largest term peers accept.
    logger("raft")->error("not campaigning: term {} is the last usable one",
                          term_);
    return;
  }
  // etcd: do not campaign while committed membership changes are not yet
  // applied; our view of the voters may be stale.
  if (log_.committed() > log_.applied()) {
    auto xs = log_.slice(std::max(log_.applied() + 1, log_.first_index()),
                         log_.committed() + 1, no_limit_bytes);
    AS_ASSERT(xs.ok());
    for (const auto& e : *xs)
      if (e.type() == pb::Entry::CONF_CHANGE)
        return;
  }
  campaign(cfg_.pre_vote && !transfer, transfer);
}

void raft_core::campaign(bool pre_vote, bool transfer) {
  uint64_t term = 0;
  auto type = pb::RaftMessage::VOTE;
  if (pre_vote) {
    become_pre_candidate();
    type = pb::RaftMessage::PRE_VOTE;
    // Thesis §9.6: ask for the next term without moving to it.
    term = term_ + 1;
  } else {
    become_candidate();
    term = term_;
  }
  if (poll(cfg_.id, true) == vote_result::won) {
    // Single voter: we won at once.
    if (pre_vote)
      campaign(false, transfer);
    else
      become_leader();
    return;
  }
  for (auto id : voters()) {
    if (id == cfg_.id)
      continue;
    pb::RaftMessage m;
    m.set_type(type);
    m.set_to(id);
    m.set_term(term);
    m.set_index(log_.last_index());
    m.set_log_term(log_.last_term());
    if (transfer)
      m.set_context(campaign_transfer);
    send(std::move(m));
  }
}

vote_result raft_core::poll(uint64_t id, bool granted) {
  votes_.emplace(id, granted); // the first answer of a peer counts
  return majority_vote(voters(), votes_);
}

void raft_core::step(const pb::RaftMessage& m) {
  AS_ASSERT(!awaiting_advance_);
  if (auto field = absurd_field(m)) {
    // One line for the first refusal, then at powers of two: a peer that
    // floods forged messages does not flood the log too.
    auto n = ++refused_msgs_;
    if ((n & (n - 1)) == 0)
      logger("raft")->warn("refused a raft message with an absurd {} "
                           "type={} from={} term={} index={} (refused: {})",
                           field, static_cast<int>(m.type()), m.from(),
                           m.term(), m.index(), n);
    return;
  }
  if (!step_term(m))
    return;
  switch (m.type()) {
    case pb::RaftMessage::VOTE:
    case pb::RaftMessage::PRE_VOTE:
      handle_vote_request(m);
      return;
    default:
      break;
  }
  switch (role_) {
    case role::leader:
      step_leader(m);
      break;
    case role::candidate:
    case role::pre_candidate:
      step_candidate(m);
      break;
    case role::follower:
      step_follower(m);
      break;
  }
}

bool raft_core::step_term(const pb::RaftMessage& m) {
  using t = pb::RaftMessage;
  if (m.term() == 0) // a forwarded READ_INDEX carries no term
    return true;
  if (m.term() > term_) {
    if (m.type() == t::VOTE || m.type() == t::PRE_VOTE) {
      // Thesis §4.2.3: while we hear from a leader, ignore (pre-)votes, so a
      // partitioned or rejoining peer cannot depose a healthy leader. A
      // transfer's campaign is meant to.
      bool force = m.context() == campaign_transfer;
      bool in_lease = cfg_.check_quorum && lead_ != 0
                      && election_elapsed_ < cfg_.election_tick;
      if (!force && in_lease)
        return false;
    }
    if (m.type() == t::PRE_VOTE) {
      // Thesis §9.6: a pre-vote never changes our term.
    } else if (m.type() == t::PRE_VOTE_RESP && !m.reject()) {
      // We move to that term once we win the pre-vote.
    } else if (m.type() == t::APP || m.type() == t::HEARTBEAT
               || m.type() == t::SNAP) {
      // Raft §5.1: a higher term makes us a follower of its leader.
      become_follower(m.term(), m.from());
    } else {
      become_follower(m.term(), 0);
    }
    return true;
  }
  if (m.term() < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote)
        && (m.type() == t::HEARTBEAT || m.type() == t::APP)) {
      // A stale leader (e.g. after a partition healed) learns our term and
      // steps down; without this, with PreVote it would never hear of it.
      pb::RaftMessage r;
      r.set_type(t::APP_RESP);
      r.set_to(m.from());
      send(std::move(r));
    } else if (m.type() == t::PRE_VOTE) {
      pb::RaftMessage r;
      r.set_type(t::PRE_VOTE_RESP);
      r.set_to(m.from());
      r.set_term(term_);
      r.set_reject(true);
      send(std::move(r));
    }
    // Raft §5.1: otherwise a request with a stale term is dropped.
    return false;
  }
  return true;
}

void raft_core::handle_vote_request(const pb::RaftMessage& m) {
  bool pre = m.type() == pb::RaftMessage::PRE_VOTE;
  // Raft §5.2: one vote per term, first come first served; a pre-vote for a
  // future term is granted whenever the log is up to date.
  bool can_vote = vote_ == m.from() || (vote_ == 0 && lead_ == 0)
                  || (pre && m.term() > term_);
  pb::RaftMessage r;
  r.set_type(pre ? pb::RaftMessage::PRE_VOTE_RESP : pb::RaftMessage::VOTE_RESP);
  r.set_to(m.from());
  // Raft §5.4.1: only for candidates whose log is at least as up to date.
  if (can_vote && log_.is_up_to_date(m.index(), m.log_term())) {
    r.set_term(m.term());
    send(std::move(r));
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    r.set_term(term_);
    r.set_reject(true);
    send(std::move(r));
  }
}

void raft_core::step_candidate(const pb::RaftMessage& m) {
  using t = pb::RaftMessage;
  auto my_resp = role_ == role::pre_candidate ? t::PRE_VOTE_RESP : t::VOTE_RESP;
  switch (m.type()) {
    case t::APP:
      // Raft §5.2: a candidate that hears from a leader of its term yields.
      become_follower(m.term(), m.from());
      handle_append(m);
      return;
    case t::HEARTBEAT:
      become_follower(m.term(), m.from());
      handle_heartbeat(m);
      return;
    case t::SNAP:
      become_follower(m.term(), m.from());
      handle_snapshot(m);
      return;
    default:
      break;
  }
  if (m.type() != my_resp)
    return;
  switch (poll(m.from(), !m.reject())) {
    case vote_result::won:
      if (role_ == role::pre_candidate) {
        campaign(false, false);
      } else {
        become_leader();
        bcast_append();
      }
      break;
    case vote_result::lost:
      // Thesis §9.6: a lost pre-vote leaves the term as it was.
      become_follower(term_, 0);
      break;
    case vote_result::pending:
      break;
  }
}

void raft_core::step_follower(const pb::RaftMessage& m) {
  using t = pb::RaftMessage;
  switch (m.type()) {
    case t::APP:
      election_elapsed_ = 0;
      lead_ = m.from();
      handle_append(m);
      break;
    case t::HEARTBEAT:
      election_elapsed_ = 0;
      lead_ = m.from();
      handle_heartbeat(m);
      break;
    case t::SNAP:
      election_elapsed_ = 0;
      lead_ = m.from();
      handle_snapshot(m);
      break;
    case t::TIMEOUT_NOW:
      // Thesis §3.10: the leader asks us to take over; skip the pre-vote.
      hup(true);
      break;
    case t::READ_INDEX_RESP:
      read_states_.push_back(read_state{m.context(), m.index()});
      break;
    default:
      break;
  }
}

void raft_core::peer_down(uint64_t id) {
  AS_ASSERT(!awaiting_advance_);
  if (id == cfg_.id)
    return;
  if (role_ == role::leader) {
    // etcd ReportUnreachable: stop pipelining into a dead connection.
    if (auto i = prs_.find(id);
        i != prs_.end() && i->second.state == progress_state::replicate)
      i->second.become_probe();
    return;
  }
  if (id != lead_)
    return;
  // Our leader's connection closed: drop its lease so that our pre-vote and
  // those of peers that saw the same can succeed now. Peers that still hear
  // from a healthy leader keep their lease and refuse.
  lead_ = 0;
  if (!promotable())
    return;
  // Survivors campaign in id order, one tick apart, to avoid split votes.
  uint64_t rank = 0;
  for (auto v : voters())
    if (v != id && v < cfg_.id)
      ++rank;
  if (rank == 0) {
    election_elapsed_ = 0;
    hup(false);
  } else {
    election_elapsed_ = randomized_election_timeout_ > rank
                          ? randomized_election_timeout_ - rank
                          : 0;
  }
}

status raft_core::transfer_leadership(uint64_t to) {
  AS_ASSERT(!awaiting_advance_);
  if (role_ != role::leader)
    return fail(errc::not_leader, "this node is not the raft leader");
  if (!is_voter(conf_, to))
    return fail(errc::not_found, "no such manager in the raft group");
  if (to == cfg_.id || to == lead_transferee_)
    return ok_status();
  abort_leader_transfer();
  lead_transferee_ = to;
  // The transfer must finish within one election timeout.
  election_elapsed_ = 0;
  if (prs_.at(to).match == log_.last_index()) {
    pb::RaftMessage m;
    m.set_type(pb::RaftMessage::TIMEOUT_NOW);
    m.set_to(to);
    send(std::move(m));
  } else {
    send_append(to);
  }
  return ok_status();
}

void raft_core::abort_leader_transfer() {
  lead_transferee_ = 0;
}

} // namespace actorswarm::raft
