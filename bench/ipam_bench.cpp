// IPAM and the allocator's batch: how long the leader takes to hand out
// addresses (a /8 network, 100k allocations, release, 100k again), ports
// (the dynamic range, twice over), and to build the allocator's batch for a
// 10k-task service on a network (addresses, endpoint copies, PENDING), and
// a new leader's restore of that store. Prints `name value unit` lines.
//
// Usage: ipam_bench

#include <chrono>
#include <cstdio>
#include <string>

#include "actors/allocator/address_pool.hpp"
#include "actors/allocator/allocator_core.hpp"
#include "actors/allocator/port_allocator.hpp"
#include "actors/store/object_store.hpp"

namespace {

namespace pb = actorswarm::pb;
using namespace actorswarm::allocator;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start)
    .count();
}

void print(const char* name, double value, const char* unit) {
  std::printf("%s %.3f %s\n", name, value, unit);
}

void bench_addresses() {
  constexpr int n = 100000;
  auto pool = address_pool::make(*parse_subnet("10.0.0.0/8"), std::nullopt);
  std::vector<uint32_t> xs(n);
  auto start = clock_type::now();
  for (auto& x : xs)
    x = *pool->allocate();
  auto alloc_ms = ms_since(start);
  start = clock_type::now();
  for (auto x : xs)
    pool->release(x);
  auto release_ms = ms_since(start);
  start = clock_type::now();
  for (auto& x : xs)
    x = *pool->allocate();
  auto again_ms = ms_since(start);
  print("ipam_allocate_100k_ms", alloc_ms, "ms");
  print("ipam_release_100k_ms", release_ms, "ms");
  print("ipam_allocate_again_100k_ms", again_ms, "ms");
  print("ipam_allocate_ns_per_address", alloc_ms * 1e6 / n, "ns");
}

void bench_ports() {
  port_allocator ports;
  constexpr uint32_t n = dynamic_port_last - dynamic_port_first + 1;
  auto start = clock_type::now();
  for (uint32_t i = 0; i < n; ++i)
    ports.allocate(port_protocol::tcp, "svc");
  for (uint32_t p = dynamic_port_first; p <= dynamic_port_last; ++p)
    ports.release(port_protocol::tcp, p, "svc");
  for (uint32_t i = 0; i < n; ++i)
    ports.allocate(port_protocol::tcp, "svc");
  print("ports_dynamic_range_twice_ms", ms_since(start), "ms");
}

pb::StoreBatch one_network() {
  pb::StoreBatch b;
  auto* a = b.add_actions();
  auto& n = *a->mutable_network();
  n.set_id("net1");
  n.mutable_spec()->set_name("appnet");
  n.mutable_spec()->mutable_ipam()->set_subnet("10.1.0.0/16");
  return b;
}

pb::StoreBatch service_with_tasks(size_t count, bool networks) {
  pb::StoreBatch b;
  auto& s = *b.add_actions()->mutable_service();
  s.set_id("svc1");
  s.mutable_spec()->set_name("web");
  s.mutable_spec()->set_replicas(count);
  if (networks) {
    s.mutable_spec()->add_networks()->set_target("net1");
    auto& p = *s.mutable_spec()->mutable_endpoint()->add_ports();
    p.set_target_port(80);
  }
  for (size_t i = 0; i < count; ++i) {
    auto& t = *b.add_actions()->mutable_task();
    t.set_id("task" + std::to_string(i));
    t.set_service_id("svc1");
    t.set_service_name("web");
    t.set_slot(i + 1);
    t.set_desired_state(pb::RUNNING);
    t.mutable_spec()->mutable_container()->set_image("host");
  }
  return b;
}

// Applies `b` and shows its changes to `core`.
void apply(actorswarm::store::object_store& db, allocator_core& core,
           const pb::StoreBatch& b, uint64_t& index) {
  auto out = db.apply(b, ++index);
  if (out.changes)
    for (auto& c : out.changes->changes)
      core.note(c);
}

// `networks`: the service is on a network and publishes a port (else the
// batch only moves the tasks to PENDING, as before networks existed).
void bench_batch(bool networks) {
  constexpr size_t n = 10000;
  actorswarm::store::object_store db;
  allocator_core core;
  core.restore(db);
  uint64_t index = 0;
  // Networks and the service's ingress need the ingress network.
  pb::StoreBatch ing;
  auto& in = *ing.add_actions()->mutable_network();
  in.set_id("ingress");
  in.mutable_spec()->set_name("ingress");
  in.mutable_spec()->set_ingress(true);
  in.mutable_spec()->mutable_ipam()->set_subnet("10.0.0.0/16");
  apply(db, core, ing, index);
  apply(db, core, one_network(), index);
  while (auto b = core.next_batch(0))
    apply(db, core, *b, index);
  apply(db, core, service_with_tasks(n, networks), index);
  auto start = clock_type::now();
  auto b = core.next_batch(0);
  auto batch_ms = ms_since(start);
  start = clock_type::now();
  apply(db, core, *b, index);
  auto apply_ms = ms_since(start);
  if (!networks) {
    print("allocator_batch_10k_tasks_no_network_ms", batch_ms, "ms");
    print("store_apply_allocator_batch_10k_no_network_ms", apply_ms, "ms");
    return;
  }
  print("allocator_batch_10k_tasks_ms", batch_ms, "ms");
  print("store_apply_allocator_batch_10k_ms", apply_ms, "ms");
  start = clock_type::now();
  allocator_core fresh;
  auto conflicts = fresh.restore(db);
  print("allocator_restore_10k_tasks_ms", ms_since(start), "ms");
  print("allocator_restore_conflicts", static_cast<double>(conflicts.size()),
        "lines");
}

} // namespace

int main() {
  bench_addresses();
  bench_ports();
  bench_batch(false);
  bench_batch(true);
  return 0;
}
