#include "actors/store/store_actor.hpp"

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "messages/log.hpp"

#include "caf/all.hpp"

#include "actors/raft/apply_batch.hpp"
#include "messages/assert.hpp"
#include "messages/caf_error.hpp"
#include "messages/type_ids.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::store {

namespace {

// A proposal the raft peer accepted at (index, term); answered when that
// index is applied. Another term at that index means a new leader replaced
// the entry: the proposal is lost.
struct pending_proposal {
  uint64_t term = 0;
  caf::response_promise promise;
};

struct store_state {
  object_store state;
  std::map<uint64_t, pending_proposal> pending;
  std::vector<caf::actor> subscribers;
  caf::actor raft;
  raft::raft_status_ptr status;
  // Proposals that arrived before a one-member group elected itself (right
  // after swarm init or a restart): sent as soon as it leads.
  std::vector<std::pair<pb::StoreBatch, caf::response_promise>> waiting;
  static inline const char* name = "store";
};

using store_actor_t = caf::stateful_actor<store_state>;

failure lost_leadership() {
  return fail(errc::not_leader, "The swarm does not have a leader. It's "
                                "possible that too few managers are online. "
                                "Make sure more than half of the managers are "
                                "online.");
}

std::optional<pb::SnapshotMetadata>
recover(store_state& st, persistence::snapshot_store* snaps) {
  if (!snaps)
    return std::nullopt;
  pb::StoreSnapshot data;
  auto meta = snaps->load_latest_message(data);
  if (!meta)
    AS_FAIL_STOP("cannot read snapshot: " + meta.error().message);
  if (!*meta)
    return std::nullopt;
  st.state.restore(data);
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
    return;  // already in the restored snapshot
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

std::string apply(store_actor_t* self, const raft::apply_batch& xs) {
  auto& st = self->state;
  if (xs.snapshot) {
    pb::StoreSnapshot data;
    if (!data.ParseFromString(xs.snapshot->data()))
      AS_FAIL_STOP("the leader's snapshot does not parse");
    data.set_applied_index(xs.snapshot->metadata().index());
    st.state.restore(data);
    // TODO(raftactor): watchers learn of a restore only by later events;
    // followers run no watchers yet (#3).
    logger("store")->info("restored leader snapshot index={}",
                          st.state.applied_index());
  }
  for (const auto& e : xs.entries)
    apply_entry(self, e);
  if (!xs.want_snapshot)
    return {};
  return st.state.snapshot().SerializeAsString();
}

// Whether this manager will lead without anyone else: alone in its group
// (or its membership not yet applied) and no leader known yet.
bool about_to_lead(const store_state& st) {
  return !st.status
         || (st.status->lead == 0 && st.status->members.voters_size() <= 1);
}

void forward(store_actor_t* self, const pb::StoreBatch& batch,
             caf::response_promise rp) {
  self
    ->request(self->state.raft, caf::infinite, propose_atom::value,
              batch.SerializeAsString())
    .then(
      [=](uint64_t index, uint64_t term) mutable {
        self->state.pending.emplace(index, pending_proposal{term, rp});
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

void on_status(store_actor_t* self, raft::raft_status_ptr x) {
  auto& st = self->state;
  st.status = std::move(x);
  if (!about_to_lead(st)) {
    auto waiting = std::move(st.waiting);
    st.waiting.clear();
    for (auto& [batch, rp] : waiting)
      forward(self, batch, rp);
  }
  if (st.status->is_leader)
    return;
  // Lost leadership: the entries may still commit under a new leader, but
  // nobody here can tell the proposer; fail fast (SwarmKit does the same).
  for (auto& [index, p] : st.pending)
    p.promise.deliver(make_error(lost_leadership()));
  st.pending.clear();
}

caf::behavior store_behavior(store_actor_t* self, persistence::log_store* log,
                             persistence::snapshot_store* snaps,
                             store_config cfg) {
  auto latest = recover(self->state, snaps);
  cfg.raft.core.applied = self->state.state.applied_index();
  cfg.raft.snapshot_interval = cfg.snapshot_interval;
  self->state.raft = raft::spawn_raft(self->system(),
                                      caf::actor_cast<caf::actor>(self), *log,
                                      snaps, std::move(latest), cfg.raft);
  self->link_to(self->state.raft);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const caf::actor& a) {
                                return a.address() == dm.source;
                              }),
               subs.end());
  });
  return {
    [=](propose_atom, const pb::StoreBatch& batch) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise();
      if (about_to_lead(self->state))
        self->state.waiting.emplace_back(batch, rp);
      else
        forward(self, batch, rp);
      return caf::delegated<uint64_t>{};
    },
    [=](apply_atom, const raft::apply_batch_ptr& xs)
      -> caf::result<uint64_t, std::string> {
      auto state = apply(self, *xs);
      return {self->state.state.applied_index(), std::move(state)};
    },
    [=](leader_atom, raft::raft_status_ptr& x) {
      on_status(self, std::move(x));
    },
    [=](status_atom) -> raft::raft_status_ptr { return self->state.status; },
    [=](raft_atom) -> caf::actor { return self->state.raft; },
    [=](subscribe_atom, const caf::actor& who) -> store_view_ptr {
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

caf::actor spawn_store(caf::actor_system& sys, persistence::log_store& log,
                       persistence::snapshot_store* snaps, store_config cfg) {
  return sys.spawn(store_behavior, &log, snaps, std::move(cfg));
}

} // namespace actorswarm::store
