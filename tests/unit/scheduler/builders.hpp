#pragma once

// Small builders for scheduler unit tests: nodes and tasks with only the
// fields placement looks at.

#include <map>
#include <string>
#include <vector>

#include "messages/objects.pb.h"

namespace actorswarm::scheduler::test {

constexpr int64_t one_cpu = 1'000'000'000;
constexpr int64_t one_gib = 1LL << 30;

/// A READY, ACTIVE worker with 4 CPUs and 8 GiB unless changed afterwards.
inline pb::Node make_node(const std::string& id,
                          std::map<std::string, std::string> labels = {}) {
  pb::Node n;
  n.set_id(id);
  n.set_role(pb::NodeSpec::WORKER);
  n.mutable_spec()->set_availability(pb::NodeSpec::ACTIVE);
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  n.mutable_description()->set_hostname("host-" + id);
  n.mutable_description()->set_os("linux");
  n.mutable_description()->set_architecture("x86_64");
  n.mutable_description()->mutable_resources()->set_nano_cpus(4 * one_cpu);
  n.mutable_description()->mutable_resources()->set_memory_bytes(8 * one_gib);
  for (auto& [k, v] : labels)
    (*n.mutable_spec()->mutable_labels())[k] = v;
  return n;
}

/// A PENDING task of `service` (spec_version 1) without a node.
inline pb::Task make_task(const std::string& id, const std::string& service,
                          int64_t nano_cpus = 0, int64_t memory_bytes = 0) {
  pb::Task t;
  t.set_id(id);
  t.set_service_id(service);
  t.set_spec_version(1);
  t.set_desired_state(pb::RUNNING);
  t.mutable_status()->set_state(pb::PENDING);
  auto* r = t.mutable_spec()->mutable_resources()->mutable_reservations();
  r->set_nano_cpus(nano_cpus);
  r->set_memory_bytes(memory_bytes);
  return t;
}

/// `n` tasks "<prefix>-<i>" of `service`, all alike.
inline std::vector<pb::Task> make_tasks(size_t n, const std::string& prefix,
                                        const pb::Task& like) {
  std::vector<pb::Task> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(like);
    out.back().set_id(prefix + "-" + std::to_string(i));
  }
  return out;
}

/// Pointers for scheduler::schedule.
inline std::vector<const pb::Task*> ptrs(const std::vector<pb::Task>& xs) {
  std::vector<const pb::Task*> out;
  for (const auto& x : xs)
    out.push_back(&x);
  return out;
}

} // namespace actorswarm::scheduler::test
