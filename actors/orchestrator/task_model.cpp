#include "actors/orchestrator/task_model.hpp"

#include <utility>

#include "messages/assert.hpp"
#include "messages/ids.hpp"

namespace actorswarm::orchestrator {

void reconcile_result::wake_at(int64_t at_ns) {
  if (!next_wakeup_ns || at_ns < *next_wakeup_ns)
    next_wakeup_ns = at_ns;
}

void reconcile_result::merge(reconcile_result x) {
  for (auto& a : x.actions)
    actions.emplace_back(std::move(a));
  if (x.next_wakeup_ns)
    wake_at(*x.next_wakeup_ns);
  more = more || x.more;
}

bool is_terminal(pb::TaskState x) {
  return x > pb::RUNNING;
}

bool is_desired_running(const pb::Task& x) {
  return x.desired_state() <= pb::RUNNING;
}

bool is_runnable(const pb::Task& x) {
  return is_desired_running(x) && !is_terminal(x.status().state());
}

bool newer_than(const pb::Task& x, const pb::Task& y) {
  if (x.meta().created_at_ns() != y.meta().created_at_ns())
    return x.meta().created_at_ns() > y.meta().created_at_ns();
  if (x.status().timestamp_ns() != y.status().timestamp_ns())
    return x.status().timestamp_ns() > y.status().timestamp_ns();
  return x.id() > y.id();
}

pb::Task new_task(const pb::Service& service, uint64_t slot,
                  std::string node_id, int64_t now_ns, std::mt19937_64& gen) {
  pb::Task t;
  t.set_id(new_id(gen));
  t.mutable_meta()->set_created_at_ns(now_ns);
  t.mutable_meta()->set_updated_at_ns(now_ns);
  *t.mutable_spec() = service.spec().task();
  t.set_service_id(service.id());
  t.set_service_name(service.spec().name());
  t.set_slot(slot);
  t.set_node_id(std::move(node_id));
  t.set_desired_state(pb::RUNNING);
  t.set_spec_version(service.spec_version());
  auto* st = t.mutable_status();
  st->set_state(pb::NEW);
  st->set_timestamp_ns(now_ns);
  st->set_message("created");
  return t;
}

namespace {

pb::StoreAction make_action(pb::StoreAction::Kind kind, pb::Task x) {
  pb::StoreAction a;
  a.set_kind(kind);
  *a.mutable_task() = std::move(x);
  return a;
}

} // namespace

pb::StoreAction create_action(pb::Task x) {
  return make_action(pb::StoreAction::CREATE, std::move(x));
}

pb::StoreAction update_action(pb::Task x) {
  return make_action(pb::StoreAction::UPDATE, std::move(x));
}

pb::StoreAction remove_action(pb::Task x) {
  return make_action(pb::StoreAction::REMOVE, std::move(x));
}

pb::StoreAction set_desired_action(const pb::Task& x, pb::TaskState desired) {
  // SwarmKit: desired_state only moves forward, like the observed state.
  AS_ASSERT(desired >= x.desired_state());
  auto t = x;
  t.set_desired_state(desired);
  return update_action(std::move(t));
}

pb::StoreAction orphan_action(const pb::Task& x, int64_t now_ns,
                              const std::string& why) {
  AS_ASSERT(!is_terminal(x.status().state()));
  auto t = x;
  if (t.desired_state() < pb::SHUTDOWN)
    t.set_desired_state(pb::SHUTDOWN);
  auto* st = t.mutable_status();
  st->set_state(pb::ORPHANED);
  st->set_timestamp_ns(now_ns);
  st->set_message(why);
  return update_action(std::move(t));
}

} // namespace actorswarm::orchestrator
