#pragma once

// The Raft consensus core (Raft paper, Ongaro's thesis; shaped after
// etcd-io/raft raft.go and rawnode.go): a deterministic state machine without
// IO, clock, threads or CAF. The owner (raft peer actor, simulator, tests)
// feeds it messages and ticks, then loops: has_ready() -> ready() ->
// persist, send, apply -> advance(). Randomness (election jitter) comes only
// from the seed given to the constructor, so a run replays exactly.
//
// Membership: single-server changes (thesis §4.1), one pending at a time,
// applied when the owner applied the entry (advance), like etcd. A new
// cluster starts from bootstrap_entries() (conf_change.hpp).

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "actors/raft/log_reader.hpp"
#include "actors/raft/progress.hpp"
#include "actors/raft/quorum.hpp"
#include "actors/raft/raft_config.hpp"
#include "actors/raft/raft_log.hpp"
#include "actors/raft/ready.hpp"
#include "messages/raft.pb.h"
#include "messages/result.hpp"

namespace actorswarm::raft {

/// Context of vote requests sent after TimeoutNow: voters ignore their
/// leader lease for it (leadership transfer, thesis §3.10).
constexpr const char* campaign_transfer = "transfer";

/// Largest term and index a peer may announce, and the last term this peer
/// campaigns for: a larger one is absurd (forged or corrupt; at one election
/// per millisecond a cluster needs 146 million years to reach 2^62), so the
/// message is refused before any arithmetic on it can wrap.
constexpr uint64_t term_max = uint64_t{1} << 62;
constexpr uint64_t index_max = uint64_t{1} << 62;

/// The name of the first term or index field of `m` above term_max or
/// index_max (entries and snapshot metadata included), or nullptr when every
/// one is plausible.
const char* absurd_field(const pb::RaftMessage& m);

/// One Raft peer. Single-threaded; every call returns at once.
class raft_core {
public:
  // -- construction ------------------------------------------------------------

  /// Restores term, vote, commit, log and membership from `log` (which must
  /// outlive the core). `cfg` must pass validate() (AS_ASSERT). `seed`
  /// drives the election jitter.
  raft_core(const raft_config& cfg, const log_reader& log, uint64_t seed);

  // -- inputs ----------------------------------------------------------------

  /// Handles one message from a peer. Messages from stale terms, unknown
  /// peers or reordered/duplicated ones are handled or dropped safely; one
  /// with an absurd term or index (absurd_field) is dropped with a log line
  /// and changes nothing.
  void step(const pb::RaftMessage& m);

  /// Advances logical time by one tick (the owner's timer, default 100 ms).
  void tick();

  /// Leader only: appends `data` as a NORMAL entry and returns its index.
  /// Fails with errc::not_leader elsewhere, errc::refused while a
  /// leadership transfer is in progress.
  result<uint64_t> propose(std::string data);

  /// Leader only: appends a single-server membership change. Fails with
  /// errc::refused while another change is not yet applied.
  result<uint64_t> propose_conf_change(const pb::ConfChange& cc);

  /// Leader only: hands leadership to voter `to` (TimeoutNow once it caught
  /// up); aborted after an election timeout. Proposals are refused meanwhile.
  status transfer_leadership(uint64_t to);

  /// Requests a linearizable read (ReadIndex, thesis §6.4). `ctx` must be
  /// non-empty and unique to this node and its incarnation (an answer meant
  /// for a previous run must not match); its read_state arrives in a later
  /// ready. The leader confirms reads with heartbeat rounds of its own
  /// numbering, never by the asker's id. Fails
  /// with errc::not_leader when no leader is known.
  status read_index(std::string ctx);

  /// The owner saw the connection to peer `id` close. On the leader this
  /// pauses optimistic replication to it (probe). On a follower of `id` it
  /// drops the leader lease, so this peer (and peers that saw the same)
  /// grant a pre-vote at once: fast failover without waiting for an
  /// election timeout. A healthy leader still holds its followers' leases,
  /// so a spurious report cannot depose it.
  void peer_down(uint64_t id);

  /// Outcome of sending a snapshot to `id` out of band (leader only).
  void report_snapshot(uint64_t id, bool ok);

  /// Starts an election now (tests; etcd's Campaign). Like an election
  /// timeout, it does nothing once the term reached term_max.
  void campaign_now();

  /// New timing in ticks (`swarm update --election-tick --heartbeat-tick`),
  /// in force from the next timeout on. Refused like raft_config::validate.
  status set_timing(uint64_t election_tick, uint64_t heartbeat_tick);

  // -- outputs ---------------------------------------------------------------

  /// Whether ready() has anything to hand out.
  bool has_ready() const;

  /// Takes what to persist, send and apply. Must be followed by advance()
  /// with the same object before the next ready() (AS_ASSERT).
  raft::ready ready();

  /// The owner persisted and applied `rd`; applies its membership changes.
  void advance(const raft::ready& rd);

  /// A snapshot of the state machine bytes `data` taken at `index`, which
  /// must equal applied() (the conf state is known only there); the owner
  /// stores it and may then compact its log up to `index`.
  result<pb::Snapshot> make_snapshot(uint64_t index, std::string data) const;

  // -- properties --------------------------------------------------------------

  uint64_t id() const {
    return cfg_.id;
  }

  uint64_t term() const {
    return term_;
  }

  uint64_t vote() const {
    return vote_;
  }

  uint64_t lead() const {
    return lead_;
  }

  role state() const {
    return role_;
  }

  /// Membership as of applied().
  const pb::ConfState& conf_state() const {
    return conf_;
  }

  const raft_log& log() const {
    return log_;
  }

  uint64_t lead_transferee() const {
    return lead_transferee_;
  }

  /// Leader's view of voter `id`; nullptr if unknown.
  const progress* progress_of(uint64_t id) const;

  /// Current hard state.
  pb::HardState hard_state() const;

  /// Randomised election timeout in force, in ticks.
  const raft_config& config() const {
    return cfg_;
  }

  uint64_t randomized_election_timeout() const {
    return randomized_election_timeout_;
  }

private:
  // -- pending reads -----------------------------------------------------------

  // A read the leader confirms with a round of heartbeats. `context` and
  // `from` route the answer back to the asker; `round` is what the
  // heartbeats carry (the leader's own number, unique in this term), so an
  // acknowledgement counts only for rounds sent no later than it was.
  struct pending_read {
    std::string context;
    uint64_t index = 0;
    uint64_t from = 0;
    std::string round;
    std::map<uint64_t, bool> acks;
  };

  // -- state changes (raft_core.cpp) -----------------------------------------

  void reset(uint64_t term);
  void become_follower(uint64_t term, uint64_t lead);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset_randomized_election_timeout();
  void send(pb::RaftMessage m);
  bool promotable() const;
  std::vector<uint64_t> voters() const;
  void apply_conf_entry(const pb::Entry& e);
  // The leader's own entries became durable: count them (advance()).
  void ack_own_entries();
  void sync_progress();
  soft_state soft() const;

  // -- elections (raft_core_vote.cpp) ----------------------------------------

  void tick_election();
  void tick_heartbeat();
  void hup(bool transfer);
  void campaign(bool pre_vote, bool transfer);
  vote_result poll(uint64_t id, bool granted);
  bool step_term(const pb::RaftMessage& m);
  void handle_vote_request(const pb::RaftMessage& m);
  void step_candidate(const pb::RaftMessage& m);
  void step_follower(const pb::RaftMessage& m);
  bool quorum_active();
  void abort_leader_transfer();

  // -- replication (raft_core_append.cpp) ------------------------------------

  void step_leader(const pb::RaftMessage& m);
  void handle_append_resp(const pb::RaftMessage& m, progress& pr);
  void handle_heartbeat_resp(const pb::RaftMessage& m, progress& pr);
  bool maybe_send_append(uint64_t to, bool send_if_empty);
  void send_append(uint64_t to);
  void bcast_append();
  void bcast_heartbeat(const std::string& ctx);
  void handle_append(const pb::RaftMessage& m);
  void handle_heartbeat(const pb::RaftMessage& m);
  bool maybe_commit();
  uint64_t append_entry(pb::Entry e);

  // -- snapshots (raft_core_snapshot.cpp) ------------------------------------

  bool send_snapshot(uint64_t to, progress& pr);
  void handle_snapshot(const pb::RaftMessage& m);
  bool restore(const pb::Snapshot& s);
  void tick_snapshots();

  // -- reads (raft_core_read.cpp) --------------------------------------------

  void leader_read_index(uint64_t from, std::string ctx);
  void answer_read(uint64_t from, std::string ctx, uint64_t index);
  void ack_read(uint64_t from, const std::string& round);
  bool committed_in_term() const;
  void release_deferred_reads();

  // -- member variables --------------------------------------------------------

  raft_config cfg_;
  raft_log log_;
  std::mt19937_64 rng_;
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  uint64_t lead_ = 0;
  role role_ = role::follower;
  pb::ConfState conf_;
  std::map<uint64_t, progress> prs_;
  std::map<uint64_t, bool> votes_;
  std::vector<pb::RaftMessage> msgs_;
  uint64_t election_elapsed_ = 0;
  uint64_t heartbeat_elapsed_ = 0;
  uint64_t randomized_election_timeout_ = 0;
  uint64_t lead_transferee_ = 0;
  uint64_t pending_conf_index_ = 0;
  std::deque<pending_read> pending_reads_;
  uint64_t read_rounds_ = 0; // heartbeat rounds started for reads
  std::vector<std::pair<uint64_t, std::string>> deferred_reads_;
  std::vector<read_state> read_states_;
  pb::HardState prev_hs_;
  soft_state prev_ss_;
  bool awaiting_advance_ = false;
  uint64_t refused_msgs_ = 0; // absurd messages dropped (logged sparsely)
};

} // namespace actorswarm::raft
