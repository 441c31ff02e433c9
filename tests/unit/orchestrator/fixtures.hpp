#pragma once

// Builders and a tiny in-memory store for orchestrator table tests.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/orchestrator/nodes.hpp"
#include "actors/orchestrator/task_model.hpp"

namespace actorswarm::orchestrator::test {

constexpr int64_t sec_ns = 1'000'000'000;
constexpr int64_t t0_ns = 1'700'000'000 * sec_ns;

inline pb::Service
make_service(std::string id, uint64_t replicas,
             pb::ServiceSpec::Mode mode = pb::ServiceSpec::REPLICATED) {
  pb::Service s;
  s.set_id(id);
  s.mutable_meta()->set_version(1);
  s.mutable_spec()->set_name("svc-" + id);
  s.mutable_spec()->set_mode(mode);
  s.mutable_spec()->set_replicas(replicas);
  s.mutable_spec()->mutable_task()->mutable_container()->set_image("host");
  s.set_spec_version(1);
  return s;
}

inline pb::Node make_node(std::string id,
                          pb::NodeSpec::Availability a = pb::NodeSpec::ACTIVE,
                          pb::NodeStatus::State st = pb::NodeStatus::READY) {
  pb::Node n;
  n.set_id(id);
  n.mutable_meta()->set_version(1);
  n.mutable_spec()->set_availability(a);
  n.mutable_status()->set_state(st);
  return n;
}

inline void add_node(node_map& xs, pb::Node n) {
  auto id = n.id();
  xs[id] = std::move(n);
}

/// A stored task of `s` in `slot` on `node`, observed `state` since
/// `state_ns`, created at `created_ns`.
inline pb::Task make_task(const pb::Service& s, uint64_t slot, std::string node,
                          pb::TaskState state,
                          pb::TaskState desired = pb::RUNNING,
                          int64_t created_ns = t0_ns, int64_t state_ns = t0_ns,
                          std::string id = {}) {
  static uint64_t counter = 0;
  pb::Task t;
  t.set_id(id.empty() ? "task" + std::to_string(++counter) : id);
  t.mutable_meta()->set_version(1);
  t.mutable_meta()->set_created_at_ns(created_ns);
  *t.mutable_spec() = s.spec().task();
  t.set_service_id(s.id());
  t.set_service_name(s.spec().name());
  t.set_slot(slot);
  t.set_node_id(node);
  t.set_desired_state(desired);
  t.set_spec_version(s.spec_version());
  t.mutable_status()->set_state(state);
  t.mutable_status()->set_timestamp_ns(state_ns);
  return t;
}

/// Applies `actions` the way the store does, including the stale-version
/// check (REQUIREd: reconcile must never write what it did not read).
inline void apply_actions(std::vector<pb::Task>& tasks,
                          const std::vector<pb::StoreAction>& actions) {
  for (const auto& a : actions) {
    REQUIRE(a.has_task());
    const auto& t = a.task();
    auto i = std::find_if(tasks.begin(), tasks.end(),
                          [&](const pb::Task& x) { return x.id() == t.id(); });
    switch (a.kind()) {
      case pb::StoreAction::CREATE:
        REQUIRE(i == tasks.end());
        tasks.push_back(t);
        tasks.back().mutable_meta()->set_version(1);
        break;
      case pb::StoreAction::UPDATE:
        REQUIRE(i != tasks.end());
        REQUIRE(i->meta().version() == t.meta().version());
        *i = t;
        i->mutable_meta()->set_version(t.meta().version() + 1);
        break;
      default:
        REQUIRE(i != tasks.end());
        REQUIRE(i->meta().version() == t.meta().version());
        tasks.erase(i);
        break;
    }
  }
}

/// The worker's side: every task desired SHUTDOWN/REMOVE that still runs
/// stops; every runnable task becomes RUNNING on `node` (if unassigned).
inline void settle(std::vector<pb::Task>& tasks, const std::string& node,
                   int64_t now_ns) {
  for (auto& t : tasks) {
    if (is_terminal(t.status().state()))
      continue;
    if (t.desired_state() > pb::RUNNING) {
      t.mutable_status()->set_state(pb::SHUTDOWN);
    } else {
      t.mutable_status()->set_state(pb::RUNNING);
      if (t.node_id().empty())
        t.set_node_id(node);
    }
    t.mutable_status()->set_timestamp_ns(now_ns);
    t.mutable_meta()->set_version(t.meta().version() + 1);
  }
}

/// Number of runnable tasks per slot (replicated) or node (global, slot 0).
inline std::map<std::string, int>
runnable_per_instance(const std::vector<pb::Task>& tasks) {
  std::map<std::string, int> r;
  for (const auto& t : tasks)
    if (is_runnable(t))
      ++r[t.slot() == 0 ? "node:" + t.node_id()
                        : "slot:" + std::to_string(t.slot())];
  return r;
}

inline size_t count_kind(const std::vector<pb::StoreAction>& xs,
                         pb::StoreAction::Kind k) {
  return static_cast<size_t>(std::count_if(xs.begin(), xs.end(),
                                           [k](const pb::StoreAction& a) {
                                             return a.kind() == k;
                                           }));
}

} // namespace actorswarm::orchestrator::test
