#include "actors/store/store_actor.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "messages/log.hpp"

#include "caf/all.hpp"

#include "actors/raft/apply_batch.hpp"
#include "actors/raft/startup_reconcile.hpp"
#include "actors/store/store_interface.hpp"
#include "messages/assert.hpp"
#include "messages/caf_error.hpp"
#include "messages/docker_text.hpp"
#include "messages/type_ids.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::store {

namespace {

// Answers a proposal with its log index (or why not).
using index_promise = caf::typed_response_promise<uint64_t>;

// A proposal the raft peer accepted at (index, term); answered when that
// index is applied. Another term at that index means a new leader replaced
// the entry: the proposal is lost.
struct pending_proposal {
  uint64_t term = 0;
  index_promise promise;
};

struct store_state {
  object_store state;
  std::map<uint64_t, pending_proposal> pending;
  // Answers due once this replica applied an index: proposals the leader
  // applied for us (read your own writes here too) and linearizable reads.
  std::multimap<uint64_t, std::function<void()>> at_applied;
  // Proposals forwarded to a leader and not answered yet: (leader, reply)
  // by request number. Failed at once when that leader is no longer ours.
  std::map<uint64_t, std::pair<uint64_t, index_promise>> forwarded;
  uint64_t next_forward = 0;
  std::vector<subscriber_actor_type> subscribers;
  std::vector<leader_watcher_actor_type> status_watchers;
  raft::raft_actor_type raft;
  net::cluster_transport_actor_type transport;
  raft::raft_status_ptr status;
  std::chrono::milliseconds read_timeout{1000};
  std::pair<uint64_t, uint64_t> timing_sent{0, 0}; // election, heartbeat
  // Proposals that arrived before a one-member group elected itself (right
  // after swarm init or a restart): sent as soon as it leads.
  std::vector<std::pair<pb::StoreBatch, index_promise>> waiting;
  static inline const char* name = "store";
};

using store_actor_t = store_actor_type::stateful_base<store_state>;

failure lost_leadership() {
  return fail(errc::not_leader, docker_text::no_leader());
}

// A proposal that reached a leader's log (or was sent to one) whose answer
// can no longer come: it may still commit under the next leader, so "no
// leader" (failed, retry) would be a lie that makes clients apply twice.
failure outcome_unknown() {
  return fail(errc::unknown_outcome,
              "the leader changed before the request committed: it may or "
              "may not have been applied; check before retrying");
}

// Restores the newest snapshot, after making the log consistent with it
// (a crash while installing a leader's snapshot leaves the log behind it).
// The daemon ran the same reconcile before (cli/daemon/run_daemon.cpp) and
// turned a refusal into its exit code; here a refusal is fail-stop.
std::optional<pb::SnapshotMetadata>
recover(store_state& st, persistence::log_store& log,
        persistence::snapshot_store* snaps) {
  if (!snaps)
    return std::nullopt;
  pb::StoreSnapshot data;
  auto meta = snaps->load_latest_message(data);
  if (!meta)
    AS_FAIL_STOP("cannot read snapshot: " + meta.error().message);
  if (auto ok = raft::reconcile_at_startup(log, *meta); !ok)
    AS_FAIL_STOP("data dir corrupt: " + ok.error().message);
  if (!*meta)
    return std::nullopt;
  st.state.restore(std::move(data));
  AS_ASSERT(st.state.applied_index() == (*meta)->index());
  logger("store")->info("recovered snapshot applied_index={} nodes={} "
                        "services={} tasks={}",
                        st.state.applied_index(), st.state.nodes().size(),
                        st.state.services().size(), st.state.tasks().size());
  return *meta;
}

void publish(store_actor_t* self, const change_set_ptr& cs) {
  if (cs && !cs->changes.empty())
    for (auto& sub : self->state.subscribers)
      self->send(sub, events_atom::value, cs);
}

// Applies one committed entry and answers its proposer, if it is ours.
void apply_entry(store_actor_t* self, const pb::Entry& e) {
  auto& st = self->state;
  if (e.index() <= st.state.applied_index())
    return; // already in the restored snapshot
  pb::StoreBatch batch;
  if (e.type() == pb::Entry::NORMAL && !batch.ParseFromString(e.data()))
    AS_FAIL_STOP("log entry does not parse: " + std::to_string(e.index()));
  // No-ops and conf changes apply as empty batches: they only move the
  // applied index, so snapshots and restarts agree on it.
  auto out = st.state.apply(batch, e.index());
  publish(self, out.changes);
  auto i = st.pending.find(e.index());
  if (i == st.pending.end())
    return;
  auto p = std::move(i->second);
  st.pending.erase(i);
  if (p.term != e.term())
    p.promise.deliver(make_error(lost_leadership()));
  else if (batch.atomic() && !out.errors.empty())
    p.promise.deliver(make_error(out.errors.front()));
  else
    p.promise.deliver(e.index());
}

void run_at_applied(store_state& st) {
  auto applied = st.state.applied_index();
  while (!st.at_applied.empty() && st.at_applied.begin()->first <= applied) {
    auto fn = std::move(st.at_applied.begin()->second);
    st.at_applied.erase(st.at_applied.begin());
    fn();
  }
}

// Runs `fn` once this replica applied `index` (at once if it has).
void when_applied(store_state& st, uint64_t index, std::function<void()> fn) {
  st.at_applied.emplace(index, std::move(fn));
  run_at_applied(st);
}

// The cluster spec's Raft timing (swarm init|update --election-tick
// --heartbeat-tick) goes to the raft peer; it ignores what it has.
void send_timing(store_actor_t* self) {
  auto& st = self->state;
  auto c = st.state.cluster();
  if (!c || c->spec().election_tick() == 0 || c->spec().heartbeat_tick() == 0)
    return;
  auto timing = std::make_pair(uint64_t{c->spec().election_tick()},
                               uint64_t{c->spec().heartbeat_tick()});
  if (timing == st.timing_sent)
    return; // on every apply: only a change is worth a message
  st.timing_sent = timing;
  self->send(st.raft, raft_timing_atom::value, timing.first, timing.second);
}

std::string apply(store_actor_t* self, const raft::apply_batch& xs) {
  auto& st = self->state;
  if (xs.snapshot) {
    pb::StoreSnapshot data;
    if (!data.ParseFromString(xs.snapshot->data()))
      AS_FAIL_STOP("the leader's snapshot does not parse");
    data.set_applied_index(xs.snapshot->metadata().index());
    auto before = st.state;
    st.state.restore(std::move(data));
    // Watchers learn what the snapshot changed as ordinary events.
    auto cs = std::make_shared<change_set>(diff(before, st.state));
    cs->reset = std::make_shared<const object_store>(st.state);
    publish(self, cs);
    logger("store")->info("restored leader snapshot index={}",
                          st.state.applied_index());
  }
  for (const auto& e : xs.entries)
    apply_entry(self, e);
  run_at_applied(st);
  send_timing(self);
  if (!xs.want_snapshot)
    return {};
  return st.state.serialize_snapshot();
}

// Whether this manager will lead without anyone else: alone in its group
// (or its membership not yet applied) and no leader known yet.
bool about_to_lead(const store_state& st) {
  return !st.status
         || (st.status->lead == 0 && st.status->members.voters_size() <= 1);
}

// Hands `xs` (a proposal or a conf change) to the raft peer; `rp` is
// answered once the entry it gets is applied here.
template <class... Ts>
void append(store_actor_t* self, index_promise rp, Ts&&... xs) {
  self->request(self->state.raft, caf::infinite, std::forward<Ts>(xs)...)
    .then(
      [=](uint64_t index, uint64_t term) mutable {
        self->state.pending.emplace(index, pending_proposal{term, rp});
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

void propose_local(store_actor_t* self, const pb::StoreBatch& batch,
                   index_promise rp) {
  append(self, std::move(rp), raft_propose_atom::value,
         batch.SerializeAsString());
}

// A follower passes the proposal to the leader's store over the cluster
// port and answers once it applied the entry itself, so whoever proposed
// here reads its own write here.
void propose_remote(store_actor_t* self, uint64_t lead,
                    const pb::StoreBatch& batch, index_promise rp) {
  auto id = ++self->state.next_forward;
  self->state.forwarded.emplace(id, std::make_pair(lead, rp));
  // The answer counts only while the request is still ours (not failed
  // because the leader changed).
  auto take = [self, id]() -> bool {
    return self->state.forwarded.erase(id) > 0;
  };
  self
    ->request(self->state.transport, caf::infinite, cluster_call_atom::value,
              lead, static_cast<int32_t>(pb::Envelope::PROPOSE),
              batch.SerializeAsString())
    .then(
      [=](const std::string& bytes) mutable {
        if (!take())
          return;
        pb::ProposeReply r;
        if (!r.ParseFromString(bytes)) {
          rp.deliver(make_error(errc::internal, "malformed propose reply"));
        } else if (r.code() != 0) {
          rp.deliver(make_error(static_cast<errc>(r.code()), r.error()));
        } else {
          auto index = r.index();
          when_applied(self->state, index,
                       [rp, index]() mutable { rp.deliver(index); });
        }
      },
      [=](caf::error&) mutable {
        if (take())
          rp.deliver(make_error(outcome_unknown()));
      });
}

// Where a proposal goes: the raft peer on the leader, the leader's store
// from a follower, nowhere without a leader (docker's wording, at once).
void route(store_actor_t* self, const pb::StoreBatch& batch, index_promise rp) {
  auto& st = self->state;
  if (about_to_lead(st)) {
    // Nobody else can lead, and this manager cannot write: say why at once.
    if (st.status && st.status->write_refused)
      rp.deliver(make_error(*st.status->write_refused));
    else
      st.waiting.emplace_back(batch, rp);
  } else if (st.status->is_leader) {
    propose_local(self, batch, rp);
  } else if (st.status->lead != 0 && st.transport) {
    propose_remote(self, st.status->lead, batch, rp);
  } else {
    rp.deliver(make_error(lost_leadership()));
  }
}

// A proposal a follower forwarded: answered with a ProposeReply once the
// entry applied here (or why not). Never forwarded again.
caf::result<std::string> serve_propose(store_actor_t* self,
                                       const std::string& bytes) {
  auto reply = [](errc code, std::string msg, uint64_t index) {
    pb::ProposeReply r;
    r.set_code(static_cast<uint32_t>(code));
    r.set_error(std::move(msg));
    r.set_index(index);
    return r.SerializeAsString();
  };
  pb::StoreBatch batch;
  if (!batch.ParseFromString(bytes))
    return reply(errc::bad_request, "malformed proposal", 0);
  auto& st = self->state;
  if (!st.status || !st.status->is_leader)
    return reply(errc::not_leader, lost_leadership().message, 0);
  auto rp = self->make_response_promise<std::string>();
  self
    ->request(store_actor_type{self}, caf::infinite, propose_atom::value,
              std::move(batch))
    .then(
      [=](uint64_t index) mutable { rp.deliver(reply(errc::none, "", index)); },
      [=](caf::error& err) mutable {
        auto f = to_failure(err);
        rp.deliver(reply(f.code, f.message, 0));
      });
  return rp;
}

// A linearizable read (Raft thesis §6.4): true once this replica applied
// the leader's commit index as of now, false (serve it, but stale) when no
// leader answered within the read timeout.
caf::result<bool> linearizable_read(store_actor_t* self) {
  auto rp = self->make_response_promise<bool>();
  self
    ->request(self->state.raft, self->state.read_timeout, raft_read_atom::value)
    .then(
      [=](uint64_t index) mutable {
        when_applied(self->state, index, [rp]() mutable { rp.deliver(true); });
      },
      [=](caf::error&) mutable { rp.deliver(false); });
  return rp;
}

void on_status(store_actor_t* self, raft::raft_status_ptr x) {
  auto& st = self->state;
  st.status = std::move(x);
  // The disk refused these entries and no one else has them: they never
  // commit, so their proposers learn why (a full disk), for certain.
  if (st.status->refused_from > 0 && st.status->write_refused) {
    auto i = st.pending.lower_bound(st.status->refused_from);
    for (auto j = i; j != st.pending.end(); ++j)
      j->second.promise.deliver(make_error(*st.status->write_refused));
    st.pending.erase(i, st.pending.end());
  }
  for (auto& w : st.status_watchers)
    self->send(w, leader_atom::value, st.status);
  // Forwarded to a leader we no longer follow: its answer may never come.
  for (auto i = st.forwarded.begin(); i != st.forwarded.end();) {
    if (i->second.first == st.status->lead) {
      ++i;
      continue;
    }
    i->second.second.deliver(make_error(outcome_unknown()));
    i = st.forwarded.erase(i);
  }
  if (!about_to_lead(st) || st.status->write_refused) {
    auto waiting = std::move(st.waiting);
    st.waiting.clear();
    for (auto& [batch, rp] : waiting)
      route(self, batch, rp);
  }
  if (st.status->is_leader)
    return;
  // Lost leadership: the entries may still commit under a new leader, but
  // nobody here can tell the proposer; fail fast (SwarmKit does the same),
  // saying that the outcome is unknown.
  for (auto& [index, p] : st.pending)
    p.promise.deliver(make_error(outcome_unknown()));
  st.pending.clear();
}

store_actor_type::behavior_type store_actor(store_actor_t* self,
                                            persistence::log_store* log,
                                            persistence::snapshot_store* snaps,
                                            store_config cfg) {
  auto latest = recover(self->state, *log, snaps);
  cfg.raft.core.applied = self->state.state.applied_index();
  cfg.raft.snapshot_interval = cfg.snapshot_interval;
  self->state.read_timeout = std::chrono::milliseconds(
    std::max<uint64_t>(cfg.raft.core.election_tick * cfg.raft.tick_ms, 100));
  self->state.raft = raft::spawn_raft(self->system(),
                                      raft::raft_state_machine_actor_type{self},
                                      *log, snaps, std::move(latest), cfg.raft);
  self->link_to(self->state.raft);
  send_timing(self);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const subscriber_actor_type& a) {
                                return a.address() == dm.source;
                              }),
               subs.end());
  });
  return {
    [=](propose_atom, const pb::StoreBatch& batch) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise<uint64_t>();
      route(self, batch, rp);
      return rp;
    },
    [=](conf_atom, const pb::ConfChange& cc) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise<uint64_t>();
      append(self, rp, raft_conf_atom::value, cc);
      return rp;
    },
    [=](rpc_atom, int32_t, const std::string&, const std::string& bytes) {
      return serve_propose(self, bytes);
    },
    [=](read_atom) { return linearizable_read(self); },
    [=](store_connect_atom,
        const net::cluster_transport_actor_type& transport) {
      auto& st = self->state;
      st.transport = transport;
      self->send(transport, cluster_raft_atom::value,
                 net::cluster_raft_actor_type{st.raft});
      self->send(st.raft, raft_connect_atom::value,
                 raft::raft_network_actor_type{transport});
      self->send(transport, serve_atom::value,
                 static_cast<int32_t>(pb::Envelope::PROPOSE),
                 net::cluster_server_actor_type{self});
    },
    [=](watch_atom, const leader_watcher_actor_type& who) {
      self->state.status_watchers.push_back(who);
      if (self->state.status)
        self->send(who, leader_atom::value, self->state.status);
    },
    [=](apply_atom,
        const raft::apply_batch_ptr& xs) -> caf::result<uint64_t, std::string> {
      auto state = apply(self, *xs);
      return {self->state.state.applied_index(), std::move(state)};
    },
    [=](leader_atom, raft::raft_status_ptr& x) {
      on_status(self, std::move(x));
    },
    // Live, from the raft peer (reachability changes without a leader
    // change).
    [=](raft_status_atom) {
      return self->delegate(self->state.raft, raft_status_atom::value);
    },
    [=](raft_atom) -> raft::raft_actor_type { return self->state.raft; },
    [=](transfer_atom, uint64_t to) {
      return self->delegate(self->state.raft, transfer_atom::value, to);
    },
    [=](subscribe_atom, const subscriber_actor_type& who) -> store_view_ptr {
      self->monitor(who);
      self->state.subscribers.push_back(who);
      return std::make_shared<const object_store>(self->state.state);
    },
    [=](view_atom) -> store_view_ptr {
      return std::make_shared<const object_store>(self->state.state);
    },
  };
}

} // namespace

raft::raft_actor_config store_config::default_raft() {
  raft::raft_actor_config out;
  out.core.id = 1;
  pb::Member self;
  self.set_raft_id(1);
  out.bootstrap.push_back(self);
  return out;
}

store_actor_type spawn_store(caf::actor_system& sys,
                             persistence::log_store& log,
                             persistence::snapshot_store* snaps,
                             store_config cfg) {
  return sys.spawn(store_actor, &log, snaps, std::move(cfg));
}

} // namespace actorswarm::store
