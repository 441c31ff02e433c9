// Scheduler throughput: how long scheduler::schedule takes to place a batch of
// identical tasks (one service, a constraint, reservations) on simulated
// nodes with labels (3 zones, 2 roles). Prints `name value unit` lines.
// SwarmKit's reference point: 100k tasks onto 100k nodes in 6.7 s.
//
// Usage: scheduler_bench [--quick]   (--quick skips the 100k-node case)
//
// The CMake target links all of actorswarm_core. To build it from the
// scheduler alone (e.g. while other components are mid-change), after
// `ninja as_scheduler as_proto` in a build dir B:
//   g++ -std=c++17 -O2 -I. -Iinclude -isystem B -c bench/scheduler_bench.cpp
//   g++ scheduler_bench.o B/CMakeFiles/as_scheduler.dir/actors/scheduler/*.o
//     B/CMakeFiles/as_proto.dir/messages/{ids.cpp,*.pb.cc}.o -lprotobuf

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "actors/scheduler/scheduler.hpp"
#include "messages/ids.hpp"

namespace {

namespace pb = actorswarm::pb;
using actorswarm::scheduler::decision;
using actorswarm::scheduler::scheduler;

constexpr int64_t one_cpu = 1'000'000'000;
constexpr int64_t one_gib = 1LL << 30;

struct scenario {
  std::string name;
  size_t tasks;
  size_t nodes;
  pb::Placement::Strategy strategy;
  bool spread_by_zone;
};

std::vector<pb::Node> make_nodes(size_t n, std::mt19937_64& gen) {
  std::vector<pb::Node> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    pb::Node node;
    node.set_id(actorswarm::new_id(gen));
    node.set_role(i % 10 == 0 ? pb::NodeSpec::MANAGER : pb::NodeSpec::WORKER);
    node.mutable_status()->set_state(pb::NodeStatus::READY);
    auto* d = node.mutable_description();
    d->set_hostname("node-" + std::to_string(i));
    d->mutable_resources()->set_nano_cpus(8 * one_cpu);
    d->mutable_resources()->set_memory_bytes(16 * one_gib);
    (*node.mutable_spec()->mutable_labels())["zone"] = "zone-"
                                                       + std::to_string(i % 3);
    out.push_back(std::move(node));
  }
  return out;
}

std::vector<pb::Task> make_tasks(const scenario& s, std::mt19937_64& gen) {
  pb::Task like;
  like.set_service_id(actorswarm::new_id(gen));
  like.set_spec_version(1);
  like.set_desired_state(pb::RUNNING);
  like.mutable_status()->set_state(pb::PENDING);
  auto* placement = like.mutable_spec()->mutable_placement();
  placement->add_constraints("node.labels.zone!=zone-2");
  placement->add_constraints("node.role==worker");
  placement->set_strategy(s.strategy);
  if (s.spread_by_zone)
    placement->add_spread_preferences("node.labels.zone");
  auto* r = like.mutable_spec()->mutable_resources()->mutable_reservations();
  r->set_nano_cpus(one_cpu / 10);
  r->set_memory_bytes(64LL << 20);
  std::vector<pb::Task> out(s.tasks, like);
  for (auto& t : out)
    t.set_id(actorswarm::new_id(gen));
  return out;
}

void run(const scenario& s) {
  std::mt19937_64 gen{42};
  auto nodes = make_nodes(s.nodes, gen);
  auto tasks = make_tasks(s, gen);
  std::vector<const pb::Task*> pending;
  pending.reserve(tasks.size());
  for (const auto& t : tasks)
    pending.push_back(&t);
  scheduler sched{7};
  for (const auto& n : nodes)
    sched.upsert_node(n);
  // CPU time too: the bench machine is shared, so wall time is noisy.
  auto cpu_start = std::clock();
  auto start = std::chrono::steady_clock::now();
  auto decisions = sched.schedule(pending, pb::Placement::SPREAD);
  auto stop = std::chrono::steady_clock::now();
  auto cpu_stop = std::clock();
  size_t unscheduled = 0;
  for (const auto& d : decisions)
    unscheduled += d.node_id.empty() ? 1 : 0;
  auto ms = std::chrono::duration<double, std::milli>(stop - start).count();
  auto cpu_ms = 1000.0 * static_cast<double>(cpu_stop - cpu_start)
                / CLOCKS_PER_SEC;
  std::printf("%s_ms %.0f ms\n", s.name.c_str(), ms);
  std::printf("%s_cpu_ms %.0f ms\n", s.name.c_str(), cpu_ms);
  std::printf("%s_unscheduled %zu tasks\n", s.name.c_str(), unscheduled);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::vector<scenario> all = {
    {"scheduler_1000_tasks_10000_nodes", 1000, 10000, pb::Placement::SPREAD,
     false},
    {"scheduler_10000_tasks_10000_nodes", 10000, 10000, pb::Placement::SPREAD,
     false},
    {"scheduler_100000_tasks_10000_nodes", 100000, 10000, pb::Placement::SPREAD,
     false},
    {"scheduler_100000_tasks_10000_nodes_spread_by_zone", 100000, 10000,
     pb::Placement::SPREAD, true},
    {"scheduler_100000_tasks_10000_nodes_binpack", 100000, 10000,
     pb::Placement::BINPACK, false},
    {"scheduler_100000_tasks_10000_nodes_random", 100000, 10000,
     pb::Placement::RANDOM, false},
  };
  if (!quick)
    all.push_back({"scheduler_100000_tasks_100000_nodes", 100000, 100000,
                   pb::Placement::SPREAD, false});
  for (const auto& s : all)
    run(s);
  return 0;
}
