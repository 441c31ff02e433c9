#include "actors/raft/raft_core.hpp"

#include "actors/raft/conf_change.hpp"
#include "messages/assert.hpp"
#include "messages/log.hpp"

namespace actorswarm::raft {

namespace {

bool same_hard_state(const pb::HardState& x, const pb::HardState& y) {
  return x.term() == y.term() && x.vote() == y.vote()
         && x.commit() == y.commit();
}

} // namespace

const char* absurd_field(const pb::RaftMessage& m) {
  if (m.term() > term_max)
    return "term";
  if (m.log_term() > term_max)
    return "log_term";
  if (m.index() > index_max)
    return "index";
  if (m.commit() > index_max)
    return "commit";
  if (m.reject_hint() > index_max)
    return "reject_hint";
  for (const auto& e : m.entries()) {
    if (e.term() > term_max)
      return "entry term";
    if (e.index() > index_max)
      return "entry index";
  }
  if (m.has_snapshot()) {
    const auto& md = m.snapshot().metadata();
    if (md.term() > term_max)
      return "snapshot term";
    if (md.index() > index_max)
      return "snapshot index";
  }
  return nullptr;
}

raft_core::raft_core(const raft_config& cfg, const log_reader& log,
                     uint64_t seed)
  : cfg_(cfg), log_(log), rng_(seed) {
  AS_ASSERT(cfg_.validate().ok());
  auto hs = log.hard_state();
  AS_ASSERT(hs.commit() <= log_.last_index());
  log_.commit_to(hs.commit());
  term_ = hs.term();
  vote_ = hs.vote();
  if (cfg_.applied > 0) {
    // What the state machine applied was committed, even if the commit-only
    // hard state write before the crash was not synced.
    AS_ASSERT(cfg_.applied <= log_.last_index());
    log_.commit_to(cfg_.applied);
    log_.set_applied(cfg_.applied);
  }
  // Membership as of applied(): the snapshot's, then the changes the state
  // machine already applied (the owner will not hand them to us again).
  conf_ = log.conf_state();
  if (log_.applied() >= log_.first_index()) {
    auto xs = log_.slice(log_.first_index(), log_.applied() + 1,
                         no_limit_bytes);
    AS_ASSERT(xs.ok());
    for (const auto& e : *xs)
      if (e.type() == pb::Entry::CONF_CHANGE)
        apply_conf_entry(e);
  }
  prev_hs_ = hard_state();
  become_follower(term_, 0);
  prev_ss_ = soft();
}

// -- state changes ------------------------------------------------------------

void raft_core::reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  abort_leader_transfer();
  votes_.clear();
  prs_.clear();
  sync_progress();
  pending_conf_index_ = 0;
  pending_reads_.clear();
  deferred_reads_.clear();
}

void raft_core::sync_progress() {
  auto ids = voters();
  for (auto i = prs_.begin(); i != prs_.end();) {
    if (!is_voter(conf_, i->first))
      i = prs_.erase(i);
    else
      ++i;
  }
  for (auto id : ids) {
    if (prs_.count(id) != 0)
      continue;
    progress pr{cfg_.max_inflight_msgs};
    pr.next = log_.last_index() + 1;
    if (id == cfg_.id)
      pr.match = log_.durable_last_index();
    // New members count as active so CheckQuorum does not count them against
    // the leader before they had a chance to answer (etcd).
    pr.recent_active = true;
    prs_.emplace(id, std::move(pr));
  }
}

void raft_core::become_follower(uint64_t term, uint64_t lead) {
  reset(term);
  lead_ = lead;
  role_ = role::follower;
}

void raft_core::become_pre_candidate() {
  AS_ASSERT(role_ != role::leader);
  // Thesis §9.6: a pre-vote changes neither term nor vote.
  votes_.clear();
  lead_ = 0;
  role_ = role::pre_candidate;
}

void raft_core::become_candidate() {
  AS_ASSERT(role_ != role::leader);
  reset(term_ + 1);
  vote_ = cfg_.id;
  role_ = role::candidate;
}

void raft_core::become_leader() {
  AS_ASSERT(role_ != role::follower);
  reset(term_);
  lead_ = cfg_.id;
  role_ = role::leader;
  prs_.at(cfg_.id).become_replicate();
  // No membership change before the entries of earlier terms are applied
  // (the single-server change bug, raft-dev 2015).
  pending_conf_index_ = log_.last_index();
  // Raft §8: a no-op of the new term lets the leader commit earlier entries.
  append_entry(pb::Entry{});
}

status raft_core::set_timing(uint64_t election_tick, uint64_t heartbeat_tick) {
  auto cfg = cfg_;
  cfg.election_tick = election_tick;
  cfg.heartbeat_tick = heartbeat_tick;
  if (auto ok = cfg.validate(); !ok)
    return ok;
  cfg_ = cfg;
  reset_randomized_election_timeout();
  return ok_status();
}

void raft_core::reset_randomized_election_timeout() {
  randomized_election_timeout_ = cfg_.election_tick
                                 + rng_() % cfg_.election_tick;
}

void raft_core::send(pb::RaftMessage m) {
  m.set_from(cfg_.id);
  switch (m.type()) {
    case pb::RaftMessage::VOTE:
    case pb::RaftMessage::PRE_VOTE:
      // The term of (pre-)votes is set by the caller: a pre-vote asks for
      // term_ + 1 without being in it.
      AS_ASSERT(m.term() != 0);
      break;
    case pb::RaftMessage::VOTE_RESP:
    case pb::RaftMessage::PRE_VOTE_RESP:
      break;
    case pb::RaftMessage::READ_INDEX:
      // Forwarded to the leader like a local request (etcd): no term.
      m.set_term(0);
      break;
    default:
      m.set_term(term_);
  }
  msgs_.push_back(std::move(m));
}

bool raft_core::promotable() const {
  return is_voter(conf_, cfg_.id);
}

std::vector<uint64_t> raft_core::voters() const {
  return voter_ids(conf_);
}

soft_state raft_core::soft() const {
  return soft_state{lead_, role_};
}

pb::HardState raft_core::hard_state() const {
  pb::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return hs;
}

const progress* raft_core::progress_of(uint64_t id) const {
  auto i = prs_.find(id);
  return i == prs_.end() ? nullptr : &i->second;
}

// -- proposals ------------------------------------------------------------------

result<uint64_t> raft_core::propose(std::string data) {
  AS_ASSERT(!awaiting_advance_);
  if (role_ != role::leader || prs_.count(cfg_.id) == 0)
    return fail(errc::not_leader, "this node is not the raft leader");
  if (lead_transferee_ != 0)
    return fail(errc::refused, "leadership transfer in progress");
  pb::Entry e;
  e.set_type(pb::Entry::NORMAL);
  e.set_data(std::move(data));
  auto index = append_entry(std::move(e));
  bcast_append();
  return index;
}

result<uint64_t> raft_core::propose_conf_change(const pb::ConfChange& cc) {
  AS_ASSERT(!awaiting_advance_);
  if (role_ != role::leader || prs_.count(cfg_.id) == 0)
    return fail(errc::not_leader, "this node is not the raft leader");
  if (lead_transferee_ != 0)
    return fail(errc::refused, "leadership transfer in progress");
  if (cc.member().raft_id() == 0)
    return fail(errc::invalid_spec, "raft id 0 in a membership change");
  // Thesis §4.1: one change at a time; the next waits until this one is
  // applied.
  if (pending_conf_index_ > log_.applied())
    return fail(errc::refused, "another membership change is in progress");
  if (cc.type() == pb::ConfChange::REMOVE_NODE && voters().size() == 1
      && is_voter(conf_, cc.member().raft_id()))
    return fail(errc::refused, "cannot remove the last manager");
  pb::Entry e;
  e.set_type(pb::Entry::CONF_CHANGE);
  e.set_data(cc.SerializeAsString());
  auto index = append_entry(std::move(e));
  pending_conf_index_ = index;
  bcast_append();
  return index;
}

uint64_t raft_core::append_entry(pb::Entry e) {
  e.set_term(term_);
  e.set_index(log_.last_index() + 1);
  // The leader counts its own copy once it is durable (advance), like a
  // follower's: the commit rule then holds whatever order the owner
  // persists and sends in (etcd's self-acknowledgement).
  return log_.append({std::move(e)});
}

// -- ready / advance ------------------------------------------------------------

bool raft_core::has_ready() const {
  if (soft() != prev_ss_)
    return true;
  if (!same_hard_state(hard_state(), prev_hs_))
    return true;
  const auto& u = log_.unstable();
  return u.snapshot() || !u.entries().empty() || !msgs_.empty()
         || !read_states_.empty() || log_.has_next_committed_entries();
}

ready raft_core::ready() {
  AS_ASSERT(!awaiting_advance_);
  raft::ready rd;
  auto ss = soft();
  if (ss != prev_ss_) {
    rd.soft_state = ss;
    prev_ss_ = ss;
  }
  auto hs = hard_state();
  if (!same_hard_state(hs, prev_hs_)) {
    rd.must_sync = hs.term() != prev_hs_.term() || hs.vote() != prev_hs_.vote();
    rd.hard_state = hs;
    prev_hs_ = hs;
  }
  rd.entries = log_.unstable().entries();
  if (log_.unstable().snapshot())
    rd.snapshot = *log_.unstable().snapshot();
  rd.committed_entries = log_.next_committed_entries();
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  rd.must_sync = rd.must_sync || !rd.entries.empty() || rd.snapshot;
  awaiting_advance_ = true;
  return rd;
}

void raft_core::advance(const raft::ready& rd) {
  AS_ASSERT(awaiting_advance_);
  awaiting_advance_ = false;
  if (rd.snapshot) {
    auto index = rd.snapshot->metadata().index();
    log_.stable_snap_to(index);
    log_.applied_to(index);
  }
  if (!rd.entries.empty()) {
    const auto& last = rd.entries.back();
    log_.stable_to(last.index(), last.term());
    ack_own_entries();
  }
  for (const auto& e : rd.committed_entries)
    if (e.type() == pb::Entry::CONF_CHANGE)
      apply_conf_entry(e);
  if (!rd.committed_entries.empty())
    log_.applied_to(rd.committed_entries.back().index());
}

void raft_core::ack_own_entries() {
  if (role_ != role::leader)
    return;
  auto i = prs_.find(cfg_.id);
  if (i == prs_.end() || !i->second.maybe_update(log_.durable_last_index()))
    return;
  // Alone (or the last ack of a quorum): followers learn the new commit
  // index with the next append.
  if (maybe_commit())
    bcast_append();
}

void raft_core::apply_conf_entry(const pb::Entry& e) {
  pb::ConfChange cc;
  AS_ASSERT(cc.ParseFromString(e.data()));
  if (!apply_conf_change(conf_, cc).ok())
    return;
  sync_progress();
  if (role_ != role::leader)
    return;
  if (!promotable()) {
    // Removed leader: step down; the others elect a successor.
    become_follower(term_, 0);
    return;
  }
  if (lead_transferee_ != 0 && !is_voter(conf_, lead_transferee_))
    abort_leader_transfer();
  // The quorum changed: more entries may be committed now.
  if (maybe_commit())
    bcast_append();
}

result<pb::Snapshot> raft_core::make_snapshot(uint64_t index,
                                              std::string data) const {
  if (index != log_.applied())
    return fail(errc::bad_request, "snapshot index must equal applied index");
  auto t = log_.term(index);
  if (!t)
    return fail(log_compacted, "snapshot index is compacted");
  pb::Snapshot s;
  s.mutable_metadata()->set_index(index);
  s.mutable_metadata()->set_term(*t);
  *s.mutable_metadata()->mutable_conf_state() = conf_;
  s.set_data(std::move(data));
  return s;
}

} // namespace actorswarm::raft
