// The client workload (docs/simulation.md, "The workload and the checks"):
// service create, scale, rm and linearizable reads through every manager,
// as the store batches the control rules propose, each recorded with its
// invocation and response in sim time for the linearizability checker.

#include "sim/simulation.hpp"

#include "messages/caf_error.hpp"

namespace actorswarm::sim::detail {

void simulation::plan_workload() {
  static const char* keys[] = {"svc-a", "svc-b", "svc-c"};
  sim_time t = 1500;
  uint64_t replicas = 1;
  while (t < opts_.fault_ms) {
    planned_op p;
    p.at = t;
    p.node = 1 + work_rng_() % nodes_.size();
    p.key = keys[work_rng_() % 3];
    auto r = work_rng_() % 100;
    p.kind = r < 25   ? op_kind::create
             : r < 50 ? op_kind::update
             : r < 60 ? op_kind::remove
                      : op_kind::read;
    // With orchestration every replica is a task: keep services small
    // (1 to 4); versions still tell the values apart.
    ++replicas;
    p.replicas = opts_.orchestration ? 1 + replicas % 4 : replicas;
    workload_.push_back(p);
    t += 50 + work_rng_() % 300;
  }
  // After the faults healed: a write through every node (liveness), then
  // a read of every key through every node.
  auto probe = opts_.fault_ms + 3000;
  for (uint64_t i = 1; i <= nodes_.size(); ++i) {
    planned_op p;
    p.at = probe + i;
    p.node = i;
    p.kind = op_kind::create;
    p.key = "probe-" + std::to_string(i);
    ++replicas;
    p.replicas = opts_.orchestration ? 1 : replicas;
    workload_.push_back(p);
  }
  auto final_reads = opts_.fault_ms + opts_.heal_ms - 3000;
  for (uint64_t i = 1; i <= nodes_.size(); ++i)
    for (auto k : keys) {
      planned_op p;
      p.at = final_reads + i;
      p.node = i;
      p.kind = op_kind::read;
      p.key = k;
      workload_.push_back(p);
    }
}

pb::StoreBatch simulation::service_batch(pb::StoreAction::Kind kind,
                                         const std::string& key,
                                         uint64_t replicas, uint64_t version) {
  // What the control rules propose for service create, scale and rm: one
  // atomic action on the service object, conditional on the version read.
  pb::StoreBatch b;
  b.set_atomic(true);
  auto* a = b.add_actions();
  a->set_kind(kind);
  auto* s = a->mutable_service();
  s->set_id(key);
  s->mutable_meta()->set_version(version);
  s->mutable_spec()->set_name(key);
  s->mutable_spec()->set_replicas(replicas);
  return b;
}

void simulation::issue(const planned_op& p) {
  auto& n = node(p.node);
  if (!n.up || n.removed)
    return;
  operation o;
  o.id = history_.size() + 1;
  o.client = p.node;
  o.key = p.key;
  o.kind = p.kind;
  o.replicas = p.replicas;
  o.invoked = now_;
  if (p.kind == op_kind::update) {
    auto i = known_version_.find(p.key);
    o.from_version = i == known_version_.end() ? 1 : i->second;
  }
  auto index = history_.size();
  history_.push_back(o);
  auto shown = to_string(o);
  trace("n" + std::to_string(p.node) + " invoke "
        + shown.substr(0, shown.find(" [")));
  auto alive = n.alive;
  auto store = n.store;
  auto* self = this;
  auto timeout = std::chrono::milliseconds(op_timeout_ms);
  if (p.kind == op_kind::read) {
    auto key = p.key;
    helper([=](caf::event_based_actor* a) {
      a->request(store, timeout, read_atom::value)
        .then(
          [=](bool linearizable) {
            if (!linearizable) {
              self->complete(index, alive, outcome::unknown, 0, {});
              return;
            }
            a->request(store, timeout, view_atom::value)
              .then(
                [=](const store_view_ptr& v) {
                  svc_state s;
                  auto i = v->services().find(key);
                  if (i != v->services().end()) {
                    s.exists = true;
                    s.replicas = i->second->spec().replicas();
                    s.version = i->second->meta().version();
                  }
                  self->complete(index, alive, outcome::ok, 0, s);
                },
                [=](caf::error&) {
                  self->complete(index, alive, outcome::unknown, 0, {});
                });
          },
          [=](caf::error&) {
            self->complete(index, alive, outcome::unknown, 0, {});
          });
    });
    return;
  }
  auto kind = p.kind == op_kind::create   ? pb::StoreAction::CREATE
              : p.kind == op_kind::update ? pb::StoreAction::UPDATE
                                          : pb::StoreAction::REMOVE;
  auto batch = service_batch(kind, p.key, p.replicas,
                             p.kind == op_kind::update ? o.from_version : 0);
  helper([=](caf::event_based_actor* a) {
    a->request(store, timeout, propose_atom::value, batch)
      .then(
        [=](uint64_t i) { self->complete(index, alive, outcome::ok, i, {}); },
        [=](caf::error& err) {
          auto f = to_failure(err);
          // Refusals of the state machine are definite; anything else
          // (no leader, lost leadership, timeouts) may still commit.
          auto r = f.code == errc::name_conflict   ? outcome::exists
                   : f.code == errc::not_found     ? outcome::missing
                   : f.code == errc::stale_version ? outcome::stale
                                                   : outcome::unknown;
          self->complete(index, alive, r, 0, {});
        });
  });
}

void simulation::complete(size_t op, const std::shared_ptr<bool>& alive,
                          outcome r, uint64_t index, svc_state value) {
  auto& o = history_[op];
  if (!*alive || o.responded != never)
    return; // its node crashed: nobody heard the answer
  o.responded = now_;
  o.result = r;
  o.index = index;
  o.value = value;
  if (r == outcome::ok && o.kind != op_kind::read)
    known_version_[o.key] = index;
  if (r == outcome::ok && o.kind == op_kind::read && value.exists)
    known_version_[o.key] = value.version;
  if (r == outcome::unknown)
    o.responded = never;
  trace("  " + to_string(o));
  // A liveness probe tries again until it gets a definite answer.
  if (r == outcome::unknown && o.key.rfind("probe-", 0) == 0
      && now_ + 6000 < opts_.fault_ms + opts_.heal_ms) {
    planned_op p;
    p.at = now_ + 500;
    p.node = o.client;
    p.kind = o.kind;
    p.key = o.key;
    p.replicas = o.replicas;
    retries_.push_back(p);
  }
}

} // namespace actorswarm::sim::detail
