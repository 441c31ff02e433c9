#include "actors/store/store_actor.hpp"

#include <deque>
#include <memory>
#include <vector>

#include "messages/log.hpp"

#include "caf/all.hpp"

#include "messages/assert.hpp"
#include "messages/caf_error.hpp"
#include "messages/type_ids.hpp"
#include "persistence/log_store.hpp"
#include "persistence/snapshot_store.hpp"

namespace actorswarm::store {

namespace {

// The single-manager log uses one term; the Raft issue replaces this actor's
// proposer with the raft peer, callers unchanged.
constexpr uint64_t single_node_term = 1;

struct pending_proposal {
  pb::StoreBatch batch;
  caf::response_promise promise;
};

struct store_state {
  object_store state;
  std::deque<pending_proposal> pending;
  bool flush_scheduled = false;
  std::vector<caf::actor> subscribers;
  uint64_t last_snapshot_index = 0;
  static inline const char* name = "store";
};

using store_actor_t = caf::stateful_actor<store_state>;

void recover(store_state& st, persistence::log_store& log,
             persistence::snapshot_store* snaps) {
  if (snaps) {
    auto snap = snaps->load_latest();
    if (!snap)
      AS_FAIL_STOP("cannot read snapshot: " + snap.error().message);
    if (*snap) {
      pb::StoreSnapshot data;
      if (!data.ParseFromString((*snap)->data()))
        AS_FAIL_STOP("snapshot does not parse");
      st.state.restore(data);
      st.last_snapshot_index = (*snap)->metadata().index();
    }
  }
  auto lo = std::max(log.first_index(), st.state.applied_index() + 1);
  auto hi = log.last_index() + 1;
  for (auto i = lo; i < hi; ++i) {
    auto xs = log.entries(i, i + 1, persistence::no_size_limit_bytes);
    if (!xs || xs->size() != 1)
      AS_FAIL_STOP("cannot read log entry " + std::to_string(i));
    pb::StoreBatch batch;
    if (!batch.ParseFromString(xs->front().data()))
      AS_FAIL_STOP("log entry does not parse: " + std::to_string(i));
    st.state.apply(batch, i);
  }
  logger("store")->info("recovered applied_index={} nodes={} services={} "
                             "tasks={}",
                             st.state.applied_index(), st.state.nodes().size(),
                             st.state.services().size(),
                             st.state.tasks().size());
}

void maybe_snapshot(store_state& st, persistence::log_store& log,
                    persistence::snapshot_store* snaps,
                    const store_config& cfg) {
  auto idx = st.state.applied_index();
  if (!snaps || idx - st.last_snapshot_index < cfg.snapshot_interval)
    return;
  pb::SnapshotMetadata meta;
  meta.set_index(idx);
  meta.set_term(single_node_term);
  std::string data;
  st.state.snapshot().SerializeToString(&data);
  auto ok = snaps->save(meta, data);
  if (!ok)
    AS_FAIL_STOP("cannot write snapshot: " + ok.error().message);
  // Keep a tail of entries behind the snapshot for slow readers (Raft).
  auto keep = cfg.snapshot_interval / 2;
  if (idx > keep)
    log.compact_prefix(idx - keep, single_node_term);
  st.last_snapshot_index = idx;
}

void flush(store_actor_t* self, persistence::log_store& log,
           persistence::snapshot_store* snaps, const store_config& cfg) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty())
    return;
  auto n = std::min<size_t>(st.pending.size(), cfg.batch_proposals_max);
  persistence::log_write w;
  auto next = log.last_index() + 1;
  for (size_t i = 0; i < n; ++i) {
    pb::Entry e;
    e.set_term(single_node_term);
    e.set_index(next + i);
    st.pending[i].batch.SerializeToString(e.mutable_data());
    w.entries.push_back(std::move(e));
  }
  pb::HardState hs;
  hs.set_term(single_node_term);
  hs.set_vote(1);
  hs.set_commit(next + n - 1);
  w.hard_state = hs;
  w.sync = true;
  log.save(w);  // fail-stop inside on error
  for (size_t i = 0; i < n; ++i) {
    auto p = std::move(st.pending.front());
    st.pending.pop_front();
    auto out = st.state.apply(p.batch, next + i);
    if (!out.changes->changes.empty())
      for (auto& sub : st.subscribers)
        self->send(sub, events_atom::value, out.changes);
    if (p.batch.atomic() && !out.errors.empty())
      p.promise.deliver(make_error(out.errors.front()));
    else
      p.promise.deliver(next + i);
  }
  maybe_snapshot(st, log, snaps, cfg);
  if (!st.pending.empty()) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

caf::behavior store_behavior(store_actor_t* self, persistence::log_store* log,
                             persistence::snapshot_store* snaps,
                             store_config cfg) {
  recover(self->state, *log, snaps);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const caf::actor& a) {
                                return a.address() == dm.source;
                              }),
               subs.end());
  });
  return {
    [=](propose_atom, pb::StoreBatch& batch) -> caf::result<uint64_t> {
      auto rp = self->make_response_promise();
      self->state.pending.push_back({std::move(batch), rp});
      if (!self->state.flush_scheduled) {
        self->state.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
      return caf::delegated<uint64_t>{};
    },
    [=](flush_atom) { flush(self, *log, snaps, cfg); },
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

caf::actor spawn_store(caf::actor_system& sys, persistence::log_store& log,
                       persistence::snapshot_store* snaps, store_config cfg) {
  return sys.spawn(store_behavior, &log, snaps, cfg);
}

} // namespace actorswarm::store
