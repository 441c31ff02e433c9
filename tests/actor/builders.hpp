#pragma once

// Objects, store batches and a save-counting log for the actor tests.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/store/object_store.hpp"
#include "messages/store.pb.h"
#include "persistence/memory_log_store.hpp"

namespace actorswarm::test {

constexpr int64_t sec_ns = 1'000'000'000;

/// A node of `id` with hostname `id`, active, in `state`.
inline pb::Node make_node(const std::string& id,
                          pb::NodeStatus::State state = pb::NodeStatus::READY) {
  pb::Node n;
  n.set_id(id);
  n.mutable_description()->set_hostname(id);
  n.mutable_spec()->set_availability(pb::NodeSpec::ACTIVE);
  n.mutable_status()->set_state(state);
  return n;
}

/// The spec of a replicated `host sleep 3600` service restarting on any exit
/// after `restart_delay_ns`.
inline pb::ServiceSpec make_spec(const std::string& name, uint64_t replicas,
                                 int64_t restart_delay_ns = 0) {
  pb::ServiceSpec s;
  s.set_name(name);
  s.set_mode(pb::ServiceSpec::REPLICATED);
  s.set_replicas(replicas);
  auto& c = *s.mutable_task()->mutable_container();
  c.set_image("host");
  c.add_command("sleep");
  c.add_command("3600");
  auto& r = *s.mutable_task()->mutable_restart();
  r.set_condition(pb::RestartPolicy::ANY);
  r.set_delay_ns(restart_delay_ns);
  return s;
}

/// A stored-shape service `id` with `spec`.
inline pb::Service make_service(const std::string& id, pb::ServiceSpec spec) {
  pb::Service s;
  s.set_id(id);
  *s.mutable_spec() = std::move(spec);
  s.set_spec_version(1);
  return s;
}

/// A task of service `svc` in `slot`, placed on `node_id` in `state`.
inline pb::Task make_task(const std::string& id, const pb::Service& svc,
                          uint64_t slot, const std::string& node_id,
                          pb::TaskState state) {
  pb::Task t;
  t.set_id(id);
  *t.mutable_spec() = svc.spec().task();
  t.set_service_id(svc.id());
  t.set_service_name(svc.spec().name());
  t.set_slot(slot);
  t.set_node_id(node_id);
  t.set_desired_state(pb::RUNNING);
  t.set_spec_version(svc.spec_version());
  t.mutable_status()->set_state(state);
  return t;
}

/// Stores `x` (Node, Service or Task) in the matching oneof field of `a`.
inline void set_target(pb::StoreAction& a, const pb::Node& x) {
  *a.mutable_node() = x;
}

inline void set_target(pb::StoreAction& a, const pb::Service& x) {
  *a.mutable_service() = x;
}

inline void set_target(pb::StoreAction& a, const pb::Task& x) {
  *a.mutable_task() = x;
}

/// An atomic batch of one action of `kind` on `x`.
template <class T>
pb::StoreBatch batch_of(pb::StoreAction::Kind kind, const T& x,
                        int64_t now_ns = 0) {
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(now_ns);
  auto* a = b.add_actions();
  a->set_kind(kind);
  set_target(*a, x);
  return b;
}

/// An atomic batch creating service `id` named "svc-<id>".
inline pb::StoreBatch create_service(const std::string& id) {
  return batch_of(pb::StoreAction::CREATE,
                  make_service(id, make_spec("svc-" + id, 0)));
}

/// A memory log that counts its saves (group commit: one synced save per
/// flush; the commit index may follow in an unsynced one).
class counting_log_store : public persistence::memory_log_store {
public:
  void save(const persistence::log_write& x) override {
    ++saves;
    synced_saves += x.sync ? 1 : 0;
    entries_saved += x.entries.size();
    memory_log_store::save(x);
  }

  size_t saves = 0;
  size_t synced_saves = 0;
  size_t entries_saved = 0;
};

/// Change sets a subscriber saw, in arrival order.
using change_log = std::shared_ptr<std::vector<store::change_set_ptr>>;

} // namespace actorswarm::test
