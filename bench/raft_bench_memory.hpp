#pragma once

// Part 4 of bench/raft_bench.cpp: manager memory with N nodes and M tasks in
// the store, measured IN PROCESS (no daemon): the store actor's
// object_store is filled through apply() with StoreBatches of CREATE actions
// built by the real service and task constructors (control::make_service,
// orchestrator::new_task: every task carries its own copy of the task spec,
// as in SwarmKit), tasks assigned round-robin to the nodes and RUNNING with
// a pid. A manager daemon also keeps views of the store in its watcher
// actors (control, orchestrator and dispatcher hold full views; they
// share the immutable objects and hold only their own maps, so the bench
// adds `views` such views through apply_changes(). Finally it takes one
// snapshot (object_store::snapshot() plus serialization), which a manager
// does every snapshot-interval entries, and reports the peak.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "actors/control/control_logic.hpp"
#include "actors/orchestrator/task_model.hpp"
#include "actors/store/object_store.hpp"
#include "bench/cluster_bench_util.hpp"

namespace actorswarm::bench {

/// Sizes for the memory part.
struct memory_options {
  long nodes = 10'000;
  long tasks = 1'000'000;
  long services = 1'000;
  int views = 3;
};

/// A node as the dispatcher registers it: hostname, resources, READY, addr.
inline pb::Node bench_node(long i) {
  pb::Node n;
  n.set_id("node" + std::to_string(1'000'000'000'000L + i) + "abcdefghijklm");
  auto& d = *n.mutable_description();
  d.set_hostname("bench-host-" + std::to_string(i));
  d.mutable_resources()->set_nano_cpus(8'000'000'000L);
  d.mutable_resources()->set_memory_bytes(32L << 30);
  d.set_engine_version("actorswarm 0.1");
  d.set_os("linux");
  d.set_architecture("x86_64");
  n.mutable_status()->set_state(pb::NodeStatus::READY);
  n.mutable_status()->set_addr("10.0." + std::to_string(i / 256) + "."
                               + std::to_string(i % 256));
  (*n.mutable_spec()->mutable_labels())["zone"] = "z" + std::to_string(i % 4);
  return n;
}

/// A replicated service running `host sleep 3600` with `replicas` replicas.
inline pb::Service bench_service(long i, long replicas, std::mt19937_64& gen) {
  pb::ServiceSpec spec;
  spec.set_name("bench-svc-" + std::to_string(i));
  spec.set_mode(pb::ServiceSpec::REPLICATED);
  spec.set_replicas(static_cast<uint64_t>(replicas));
  auto& c = *spec.mutable_task()->mutable_container();
  c.set_image("host");
  c.add_command("sleep");
  c.add_command("3600");
  c.add_env("BENCH=1");
  return control::make_service(spec, gen);
}

/// Applies `b` at the next index to `store` and to every view; aborts the
/// part (returns false) when any action is refused.
inline bool apply_all(store::object_store& st,
                      std::vector<store::object_store>& views,
                      pb::StoreBatch& b, uint64_t& index) {
  auto out = st.apply(b, ++index);
  b.clear_actions();
  if (!out.errors.empty()) {
    progress("store refused: " + out.errors.front().message);
    return false;
  }
  for (auto& v : views)
    v.apply_changes(*out.changes);
  return true;
}

/// Fills the store; prints RSS figures (kB) of this process.
inline bool bench_memory(const memory_options& o) {
  long base_kb = status_kb(::getpid(), "VmRSS");
  std::mt19937_64 gen{42};
  store::object_store st;
  std::vector<store::object_store> views(static_cast<size_t>(o.views));
  uint64_t index = 0;
  pb::StoreBatch b;
  b.set_proposed_at_ns(1'700'000'000'000'000'000L);
  auto t0 = steady::now();
  std::vector<std::string> node_ids;
  for (long i = 0; i < o.nodes; ++i) {
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::CREATE);
    *a->mutable_node() = bench_node(i);
    node_ids.push_back(a->node().id());
    if (b.actions_size() == 1000 && !apply_all(st, views, b, index))
      return false;
  }
  if (b.actions_size() > 0 && !apply_all(st, views, b, index))
    return false;
  long per_service = o.tasks / o.services;
  long made = 0;
  for (long s = 0; s < o.services && !stop_requested; ++s) {
    auto svc = bench_service(s, per_service, gen);
    auto* a = b.add_actions();
    a->set_kind(pb::StoreAction::CREATE);
    *a->mutable_service() = svc;
    for (long slot = 1; slot <= per_service; ++slot, ++made) {
      auto t
        = orchestrator::new_task(svc, static_cast<uint64_t>(slot),
                                 node_ids[static_cast<size_t>(made % o.nodes)],
                                 b.proposed_at_ns(), gen);
      auto& status = *t.mutable_status();
      status.set_state(pb::RUNNING);
      status.set_message("started");
      status.set_pid(static_cast<int32_t>(100'000 + made % 400'000));
      status.set_started_at_ns(b.proposed_at_ns());
      *b.add_actions() = orchestrator::create_action(std::move(t));
      if (b.actions_size() >= 1000 && !apply_all(st, views, b, index))
        return false;
    }
  }
  if (b.actions_size() > 0 && !apply_all(st, views, b, index))
    return false;
  figure("mem_fill_ms", ms_since(t0), "ms");
  figure("mem_nodes", static_cast<double>(st.nodes().size()), "nodes");
  figure("mem_tasks", static_cast<double>(st.tasks().size()), "tasks");
  figure("mem_views", static_cast<double>(views.size()), "views");
  if (!st.tasks().empty()) // protobuf's own count for one task object
    figure("mem_task_object_b",
           static_cast<double>(st.tasks().begin()->second->SpaceUsedLong()),
           "B");
  long filled_kb = status_kb(::getpid(), "VmRSS");
  figure("mem_base_rss_kb", static_cast<double>(base_kb), "kB");
  figure("mem_store_rss_kb", static_cast<double>(filled_kb), "kB");
  figure("mem_store_rss_per_task_b",
         1024.0 * static_cast<double>(filled_kb - base_kb)
           / static_cast<double>(st.tasks().size()),
         "B");
  t0 = steady::now();
  std::string bytes;
  {
    auto snap = st.snapshot();
    figure("mem_snapshot_build_ms", ms_since(t0), "ms");
    if (!snap.SerializeToString(&bytes))
      return false;
  }
  figure("mem_snapshot_ms", ms_since(t0), "ms");
  figure("mem_snapshot_bytes", static_cast<double>(bytes.size()), "B");
  figure("mem_peak_rss_kb", static_cast<double>(status_kb(::getpid(), "VmHWM")),
         "kB");
  return true;
}

} // namespace actorswarm::bench
