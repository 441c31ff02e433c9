// Linearizable reads without a log write: ReadIndex (Raft thesis §6.4).

#include "actors/raft/conf_change.hpp"
#include "actors/raft/raft_core.hpp"
#include "messages/assert.hpp"

namespace actorswarm::raft {

status raft_core::read_index(std::string ctx) {
  AS_ASSERT(!awaiting_advance_);
  if (ctx.empty())
    return fail(errc::bad_request, "read context must not be empty");
  if (role_ == role::leader) {
    leader_read_index(cfg_.id, std::move(ctx));
    return ok_status();
  }
  if (lead_ == 0)
    return fail(errc::not_leader, "the swarm has no leader");
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::READ_INDEX);
  m.set_to(lead_);
  m.set_context(std::move(ctx));
  send(std::move(m));
  return ok_status();
}

bool raft_core::committed_in_term() const {
  return log_.term(log_.committed()) == term_;
}

void raft_core::leader_read_index(uint64_t from, std::string ctx) {
  if (ctx.empty())
    return;
  auto vs = voters();
  if (vs.size() == 1 && vs.front() == cfg_.id) {
    answer_read(from, std::move(ctx), log_.committed());
    return;
  }
  // Thesis §6.4 step 1: the commit index is only known to be current once
  // the leader committed an entry of its own term.
  if (!committed_in_term()) {
    deferred_reads_.emplace_back(from, std::move(ctx));
    return;
  }
  pending_read r;
  r.context = std::move(ctx);
  r.index = log_.committed();
  r.from = from;
  // Rounds are numbered by the leader: askers number their reads each on
  // their own, so an acknowledgement matched by their ids could confirm a
  // later read with the same id (issue #9). The term in every message keeps
  // rounds of earlier terms apart.
  r.round = "r" + std::to_string(++read_rounds_);
  r.acks.emplace(cfg_.id, true);
  auto round = r.round;
  pending_reads_.push_back(std::move(r));
  // Step 2: confirm we are still leader with a round of heartbeats.
  bcast_heartbeat(round);
}

void raft_core::answer_read(uint64_t from, std::string ctx, uint64_t index) {
  if (from == cfg_.id) {
    read_states_.push_back(read_state{std::move(ctx), index});
    return;
  }
  pb::RaftMessage m;
  m.set_type(pb::RaftMessage::READ_INDEX_RESP);
  m.set_to(from);
  m.set_index(index);
  m.set_context(std::move(ctx));
  send(std::move(m));
}

void raft_core::ack_read(uint64_t from, const std::string& round) {
  size_t k = 0;
  while (k < pending_reads_.size() && pending_reads_[k].round != round)
    ++k;
  if (k == pending_reads_.size())
    return;
  pending_reads_[k].acks.emplace(from, true);
  if (majority_vote(voters(), pending_reads_[k].acks) != vote_result::won)
    return;
  // A quorum answered a heartbeat sent after every earlier request too.
  for (size_t i = 0; i <= k; ++i) {
    auto r = std::move(pending_reads_.front());
    pending_reads_.pop_front();
    answer_read(r.from, std::move(r.context), r.index);
  }
}

void raft_core::release_deferred_reads() {
  if (role_ != role::leader || deferred_reads_.empty() || !committed_in_term())
    return;
  auto xs = std::move(deferred_reads_);
  deferred_reads_.clear();
  for (auto& [from, ctx] : xs)
    leader_read_index(from, std::move(ctx));
}

} // namespace actorswarm::raft
