#include "actors/raft/raft_actor.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>

#include "caf/all.hpp"

#include "actors/raft/apply_batch.hpp"
#include "actors/raft/conf_change.hpp"
#include "actors/raft/durable_log.hpp"
#include "actors/raft/raft_core.hpp"
#include "actors/raft/raft_interface.hpp"
#include "messages/assert.hpp"
#include "messages/caf_error.hpp"
#include "messages/log.hpp"
#include "messages/type_ids.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::raft {

namespace {

struct raft_state {
  raft_actor_config cfg;
  std::unique_ptr<durable_log> log;
  std::unique_ptr<raft_core> core;
  raft_state_machine_actor_type state_machine;
  raft_network_actor_type transport;
  std::vector<uint64_t> down;         // peers whose connection is down
  std::map<uint64_t, uint64_t> heard; // peer -> tick of its last message
  uint64_t ticks = 0;
  // ReadIndex requests waiting for their read_state, by context.
  std::map<std::string, caf::typed_response_promise<uint64_t>> reads;
  uint64_t next_read = 0;
  // "<incarnation>." : request ids unique per peer and incarnation.
  std::string read_prefix;
  bool flush_scheduled = false;
  bool snapshots = false;
  // Set while the disk refuses writes (a full disk), until one succeeds.
  std::optional<failure> write_refused;
  uint64_t restarts = 0; // cores rebuilt after a refused write
  static inline const char* name = "raft";
};

using raft_actor_t = raft_actor_type::stateful_base<raft_state>;

raft_status_ptr make_status(const raft_state& st, uint64_t refused_from = 0) {
  auto out = std::make_shared<raft_status>();
  out->write_refused = st.write_refused;
  out->refused_from = refused_from;
  const auto& c = *st.core;
  out->raft_id = c.id();
  out->term = c.term();
  out->lead = c.lead();
  out->is_leader = c.state() == role::leader;
  out->members = c.conf_state();
  // The leader and its followers hear each other every heartbeat: that is
  // what counts for them. Followers never talk to each other: a follower
  // counts them reachable unless their connection went down.
  auto window = 2 * st.cfg.core.election_tick;
  for (auto id : voter_ids(c.conf_state())) {
    bool is_down = std::find(st.down.begin(), st.down.end(), id)
                   != st.down.end();
    auto h = st.heard.find(id);
    bool recent = h != st.heard.end() && st.ticks - h->second <= window;
    bool talks = out->is_leader || id == c.lead();
    if (id == c.id() || (talks ? recent && !is_down : !is_down))
      out->reachable.push_back(id);
  }
  return out;
}

void run_ready(raft_actor_t* self);

void schedule_flush(raft_actor_t* self) {
  auto& st = self->state;
  if (st.flush_scheduled || !st.core->has_ready())
    return;
  st.flush_scheduled = true;
  self->send(self, raft_ready_atom::value);
}

// After a peer's message: the turn runs at once when nothing else waits in
// the mailbox (a follower's append goes to disk without a trip through the
// mailbox); else after what waits, so a burst of messages makes one turn.
// Only at the end of a handler that answers nobody: run_ready may apply
// entries, and a proposer must learn its index before they are applied.
void flush_soon(raft_actor_t* self) {
  if (!self->state.flush_scheduled && self->mailbox().empty())
    run_ready(self);
  else
    schedule_flush(self);
}

// What advance() needs of the committed entries: the conf changes and the
// last index. The entries themselves (maybe large) go to the state machine.
std::vector<pb::Entry> advance_view(const std::vector<pb::Entry>& xs) {
  std::vector<pb::Entry> out;
  for (const auto& e : xs)
    if (e.type() == pb::Entry::CONF_CHANGE)
      out.push_back(e);
  if (!xs.empty() && xs.back().type() != pb::Entry::CONF_CHANGE) {
    pb::Entry last;
    last.set_index(xs.back().index());
    last.set_term(xs.back().term());
    out.push_back(std::move(last));
  }
  return out;
}

// Alone in the group (a one-manager swarm): no one to wait for, lead at
// once instead of after an election timeout. Membership is known only once
// the bootstrap entries are applied, so this runs after every advance.
void maybe_campaign_alone(raft_state& st) {
  // A peer that cannot write tries again at its election timeout, not in a
  // loop of refused writes.
  if (st.write_refused)
    return;
  auto& c = *st.core;
  if (c.state() != role::follower && c.state() != role::pre_candidate)
    return;
  auto voters = voter_ids(c.conf_state());
  if (voters.size() == 1 && voters.front() == c.id())
    c.campaign_now();
}

// After the state machine applied rd: advance the core, then publish a
// snapshot if the state machine handed its state over.
void finish_ready(raft_actor_t* self, const std::shared_ptr<ready>& rd,
                  uint64_t applied, std::string state) {
  auto& st = self->state;
  st.core->advance(*rd);
  // Membership comes with conf entries or, for a follower that installed
  // the leader's snapshot, with the snapshot: the transport needs the
  // members' addresses either way (else a new leader cannot reach them).
  auto conf_changed = rd->snapshot.has_value()
                      || std::any_of(rd->committed_entries.begin(),
                                     rd->committed_entries.end(),
                                     [](const pb::Entry& e) {
                                       return e.type()
                                              == pb::Entry::CONF_CHANGE;
                                     });
  if (conf_changed) {
    if (st.transport)
      self->send(st.transport, raft_members_atom::value, st.core->conf_state());
    self->send(st.state_machine, leader_atom::value, make_status(st));
  }
  maybe_campaign_alone(st);
  if (!state.empty()) {
    AS_ASSERT(applied == st.core->log().applied());
    auto snap = st.core->make_snapshot(applied, std::move(state));
    AS_ASSERT(snap.ok());
    if (st.log->save_snapshot(*snap))
      logger("raft")->info("snapshot index={} term={}", applied,
                           snap->metadata().term());
  }
  schedule_flush(self);
}

bool adds_member(const std::vector<pb::Entry>& xs) {
  for (const auto& e : xs) {
    pb::ConfChange cc;
    if (e.type() == pb::Entry::CONF_CHANGE && cc.ParseFromString(e.data())
        && cc.type() == pb::ConfChange::ADD_NODE)
      return true;
  }
  return false;
}

// The core forgot its pending reads (the leader changed, or it was rebuilt):
// their callers learn it now instead of at their timeout.
void fail_reads(raft_state& st) {
  for (auto& [ctx, rp] : st.reads)
    rp.deliver(make_error(errc::not_leader, "leadership changed during "
                                            "a read"));
  st.reads.clear();
}

// The disk refused the write of `rd` (full): nothing that depends on it may
// leave this peer, and the core must forget what it holds only in memory.
// The core is rebuilt from what is durable, as after a crash and restart of
// this peer without its process: a leader steps down (a follower at the
// same term and vote), the entries it had not stored are gone, a follower
// does not acknowledge the append, and no vote is granted. What it refused
// it retries from the start: the leader resends, an election timeout
// campaigns again. `sent_entries`: the leader sent entries of `rd` before
// writing them (early), so others may still commit them.
void refuse_ready(raft_actor_t* self, const ready& rd, bool sent_entries,
                  failure why) {
  auto& st = self->state;
  AS_ASSERT(why.code == errc::no_space);
  if (!st.write_refused)
    logger("raft")->error("{}; not leading and acknowledging nothing until "
                          "a write succeeds",
                          why.message);
  st.write_refused = std::move(why);
  // Proposals only this peer held: refused for certain (they never commit).
  // Sent ones may commit under another leader: the store answers them as
  // any proposal whose leader stepped down.
  uint64_t refused_from = 0;
  if (st.core->state() == role::leader && !sent_entries && !rd.entries.empty())
    refused_from = rd.entries.front().index();
  fail_reads(st);
  auto cfg = st.core->config();
  cfg.applied = st.core->log().applied();
  st.core = std::make_unique<raft_core>(cfg, *st.log,
                                        st.cfg.seed + ++st.restarts);
  self->send(st.state_machine, leader_atom::value,
             make_status(st, refused_from));
  schedule_flush(self);
}

// Hands rd's snapshot and committed entries to the state machine; the rest
// of the turn (advance) runs with its answer.
void start_apply(raft_actor_t* self, const std::shared_ptr<ready>& rd) {
  auto& st = self->state;
  auto batch = std::make_shared<apply_batch>();
  if (rd->snapshot) {
    batch->snapshot = std::move(*rd->snapshot);
    rd->snapshot = pb::Snapshot{};
    *rd->snapshot->mutable_metadata() = batch->snapshot->metadata();
  }
  batch->entries = std::move(rd->committed_entries);
  rd->committed_entries = advance_view(batch->entries);
  auto last = batch->entries.empty() ? 0 : batch->entries.back().index();
  // Every snapshot_interval entries, and on the leader when a member joins
  // (it then gets this snapshot instead of the whole log). Only the leader
  // sends it: followers making one too (every manager serializing and
  // writing its whole state at once) slowed the join on a shared machine.
  batch->want_snapshot
    = st.snapshots
      && (last >= st.log->snapshot_index() + st.cfg.snapshot_interval
          || (adds_member(batch->entries) && st.core->state() == role::leader
              && last > st.log->snapshot_index()));
  self
    ->request(st.state_machine, caf::infinite, apply_atom::value,
              apply_batch_ptr{std::move(batch)})
    .await([=](uint64_t applied, std::string& state) {
      finish_ready(self, rd, applied, std::move(state));
    });
}

// One turn of etcd's Ready loop: persist (synced) -> send -> apply ->
// advance. The apply is awaited, so no input reaches the core between
// ready() and advance().
void run_ready(raft_actor_t* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (!st.core->has_ready())
    return;
  auto rd = std::make_shared<ready>(st.core->ready());
  // A leader may send its appends before its own log write is durable
  // (thesis §10.2.1, etcd does the same): followers write in parallel, and
  // nothing commits without the leader's own write, which this turn
  // finishes before the acks can be stepped. Votes and anything after a
  // term or vote change go out only after the write.
  auto durable = st.log->hard_state();
  bool early = st.core->state() == role::leader
               && (!rd->hard_state
                   || (rd->hard_state->term() == durable.term()
                       && rd->hard_state->vote() == durable.vote()));
  bool sent_entries = false;
  auto send_all = [&] {
    if (st.transport)
      for (auto& m : rd->messages) {
        sent_entries = sent_entries || m.entries_size() > 0;
        if (m.type() == pb::RaftMessage::SNAP)
          logger("raft")->info("sending snapshot index={} to={}",
                               m.snapshot().metadata().index(), m.to());
        if (m.type() != pb::RaftMessage::SNAP && st.cfg.outbox
            && st.cfg.outbox->try_send(m))
          continue;
        self->send(st.transport, raft_send_atom::value, std::move(m));
      }
    rd->messages.clear();
  };
  // A turn that only moves the commit index (no entries, no term or vote
  // change: an unsynced write) applies first: the entries are durable on a
  // quorum already, so the state machine need not wait for this peer's
  // note of the commit index (etcd applies in parallel with that write too).
  bool apply_first = !rd->must_sync && !rd->snapshot && rd->entries.empty()
                     && !rd->soft_state && !rd->committed_entries.empty();
  if (apply_first)
    start_apply(self, rd);
  if (early)
    send_all();
  if (auto ok = st.log->persist(*rd); !ok && apply_first) {
    // Only the commit index was not noted: it is learned again from the
    // leader (or, leading, from the next commit); nothing waits for it.
    logger("raft")->warn("commit index not written: {}", ok.error().message);
  } else if (!ok) {
    refuse_ready(self, *rd, sent_entries, std::move(ok.error()));
    return;
  }
  if (st.write_refused) {
    logger("raft")->info("writes succeed again");
    st.write_refused.reset();
    if (!rd->soft_state)
      self->send(st.state_machine, leader_atom::value, make_status(st));
  }
  if (!early)
    send_all();
  for (auto& rs : rd->read_states)
    if (auto i = st.reads.find(rs.context); i != st.reads.end()) {
      i->second.deliver(rs.index);
      st.reads.erase(i);
    }
  if (rd->soft_state) {
    logger("raft")->info("role={} lead={} term={}",
                         static_cast<int>(rd->soft_state->state),
                         rd->soft_state->lead, st.core->term());
    self->send(st.state_machine, leader_atom::value, make_status(st));
    // The core forgets pending reads when the leader changes.
    fail_reads(st);
  }
  if (apply_first)
    return; // finish_ready runs with the state machine's answer
  if (!rd->snapshot && rd->committed_entries.empty()) {
    finish_ready(self, rd, 0, {});
    return;
  }
  start_apply(self, rd);
}

// Prefix of this peer's ReadIndex request ids (see raft_actor_config).
std::string read_prefix(uint64_t incarnation) {
  static std::atomic<uint64_t> spawned{0};
  if (incarnation == 0)
    return "p" + std::to_string(++spawned) + ".";
  return std::to_string(incarnation) + ".";
}

void start_core(raft_actor_t* self, persistence::log_store* log,
                persistence::snapshot_store* snaps,
                std::optional<pb::SnapshotMetadata> latest) {
  auto& st = self->state;
  st.snapshots = snaps != nullptr;
  st.log = std::make_unique<durable_log>(*log, snaps, std::move(latest));
  pb::ConfState boot;
  for (const auto& m : st.cfg.bootstrap)
    *boot.add_voters() = m;
  st.log->set_default_conf(std::move(boot));
  if (st.log->empty() && !st.cfg.bootstrap.empty()) {
    st.log->bootstrap(st.cfg.bootstrap);
    logger("raft")->info("bootstrapped raft_id={} voters={}", st.cfg.core.id,
                         st.cfg.bootstrap.size());
  }
  st.core = std::make_unique<raft_core>(st.cfg.core, *st.log, st.cfg.seed);
  st.read_prefix = read_prefix(st.cfg.incarnation);
  auto voters = voter_ids(st.core->conf_state());
  logger("raft")->info("started raft_id={} term={} first={} last={} "
                       "applied={} voters={}",
                       st.cfg.core.id, st.core->term(), st.log->first_index(),
                       st.log->last_index(), st.core->log().applied(),
                       voters.size());
  maybe_campaign_alone(st);
}

raft_actor_type::behavior_type
raft_actor(raft_actor_t* self, raft_state_machine_actor_type state_machine,
           persistence::log_store* log, persistence::snapshot_store* snaps,
           std::optional<pb::SnapshotMetadata> latest, raft_actor_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.state_machine = std::move(state_machine);
  start_core(self, log, snaps, std::move(latest));
  auto tick = std::chrono::milliseconds(st.cfg.tick_ms);
  self->delayed_send(self, tick, raft_tick_atom::value);
  self->send(st.state_machine, leader_atom::value, make_status(st));
  schedule_flush(self);
  return {
    [=](raft_propose_atom,
        std::string& data) -> caf::result<uint64_t, uint64_t> {
      auto index = self->state.core->propose(std::move(data));
      if (!index)
        return make_error(index.error());
      schedule_flush(self);
      return {*index, self->state.core->term()};
    },
    [=](raft_conf_atom,
        const pb::ConfChange& cc) -> caf::result<uint64_t, uint64_t> {
      auto index = self->state.core->propose_conf_change(cc);
      if (!index)
        return make_error(index.error());
      schedule_flush(self);
      return {*index, self->state.core->term()};
    },
    [=](raft_read_atom) -> caf::result<uint64_t> {
      auto& st = self->state;
      auto ctx = st.read_prefix + std::to_string(++st.next_read);
      if (auto ok = st.core->read_index(ctx); !ok)
        return make_error(ok.error());
      auto rp = self->make_response_promise<uint64_t>();
      st.reads.emplace(ctx, rp);
      schedule_flush(self);
      return rp;
    },
    [=](transfer_atom, uint64_t to) -> caf::result<bool> {
      if (auto ok = self->state.core->transfer_leadership(to); !ok)
        return make_error(ok.error());
      schedule_flush(self);
      return true;
    },
    [=](raft_timing_atom, uint64_t election, uint64_t heartbeat) {
      auto& c = *self->state.core;
      if (c.config().election_tick == election
          && c.config().heartbeat_tick == heartbeat)
        return;
      if (auto ok = c.set_timing(election, heartbeat); !ok)
        logger("raft")->warn("timing not changed: {}", ok.error().message);
      else
        logger("raft")->info("timing election_tick={} heartbeat_tick={}",
                             election, heartbeat);
    },
    [=](raft_tick_atom) {
      ++self->state.ticks;
      self->state.core->tick();
      self->delayed_send(self, tick, raft_tick_atom::value);
      schedule_flush(self);
    },
    [=](raft_ready_atom) { run_ready(self); },
    [=](raft_msg_atom, const pb::RaftMessage& m) {
      auto& down = self->state.down;
      down.erase(std::remove(down.begin(), down.end(), m.from()), down.end());
      self->state.heard[m.from()] = self->state.ticks;
      self->state.core->step(m);
      flush_soon(self);
    },
    [=](peer_down_atom, uint64_t id) {
      auto& down = self->state.down;
      if (std::find(down.begin(), down.end(), id) == down.end())
        down.push_back(id);
      self->state.core->peer_down(id);
      schedule_flush(self);
    },
    [=](raft_connect_atom, raft_network_actor_type& transport) {
      auto& st = self->state;
      st.transport = std::move(transport);
      self->send(st.transport, raft_members_atom::value, st.core->conf_state());
    },
    [=](raft_status_atom) -> raft_status_ptr {
      return make_status(self->state);
    },
  };
}

} // namespace

raft_actor_type spawn_raft(caf::actor_system& sys,
                           const raft_state_machine_actor_type& state_machine,
                           persistence::log_store& log,
                           persistence::snapshot_store* snaps,
                           std::optional<pb::SnapshotMetadata> latest,
                           raft_actor_config cfg) {
  return sys.spawn(raft_actor, state_machine, &log, snaps, std::move(latest),
                   std::move(cfg));
}

} // namespace actorswarm::raft
