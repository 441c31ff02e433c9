#pragma once

// The allocator's bookkeeping between store commits, CAF-free (the actor is
// glue around it): it restores the network allocation state from a store
// view, notes each applied change, and builds the next batch to propose:
// networks' subnets and VNIs, services' endpoints, new tasks' addresses and
// their move to PENDING, and every node's address on the ingress network
// (SwarmKit's allocator, manager/allocator/).
//
// Nodes go in batches of their own, never with networks, services or tasks:
// the dispatcher writes node objects too (status_only updates), so a full
// node update of the allocator can be stale, and must not take other work
// down with it. A node stays to do until a change shows it with its
// attachment; a refused update is proposed again with the newest object once
// that object's change arrives (not before: no loop of refusals).
//
// A task whose allocation fails stays NEW with the reason in its status
// `err` (written once per distinct reason) and is tried again once something
// is released or a network or service gets its allocation. Resources of
// removed networks, services and tasks, and of dead tasks, are released as
// their change arrives.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/allocator/network_allocator.hpp"
#include "actors/store/object_store.hpp"
#include "messages/store.pb.h"

namespace actorswarm::allocator {

/// One leader's allocator state.
class allocator_core {
public:
  /// Rebuilds everything from `view` (the cluster's address settings, then
  /// networks, services and live tasks) and notes the work left: networks,
  /// services and NEW tasks without an allocation. Returns the conflicts
  /// found (one line each), which the caller logs.
  std::vector<std::string> restore(const store::object_store& view);

  /// Notes one applied change (from a change set, in log order).
  void note(const store::change& c);

  /// The next batch to propose, or nothing when there is no work. Call again
  /// once the previous batch was answered (applied or refused): the changes
  /// it made arrive first through note().
  std::optional<pb::StoreBatch> next_batch(int64_t now_ns);

  /// Lines worth a warning since the last call (a network or service whose
  /// allocation failed, once per reason), for the caller's logger.
  std::vector<std::string> take_warnings() {
    return std::exchange(warnings_, {});
  }

  /// The allocation state (tests, benchmarks).
  const network_allocator& state() const {
    return *alloc_;
  }

  /// Gives nodes their ingress address even while no service publishes a
  /// port in ingress mode (tests of the node allocation alone).
  void allocate_nodes_always() {
    nodes_always_ = true;
  }

  /// Tasks waiting for addresses (their allocation failed).
  size_t blocked_count() const noexcept {
    return blocked_.size();
  }

  /// Nodes whose ingress address failed (the ingress pool is full); tried
  /// again when something frees up.
  size_t blocked_node_count() const noexcept {
    return node_blocked_.size();
  }

  /// At most this many node updates per batch (a node object carries its
  /// certificate); the rest follow in the next node batch.
  static constexpr int node_batch_max = 256;

private:
  void configure(const store::object_ptr<pb::Cluster>& c);
  void note_task(const store::change& c);
  void note_node(const store::change& c);
  void note_ingress(const store::change& c);
  void retry_blocked();
  bool ingress_ready() const;
  void refresh_nodes();
  void allocate_networks(pb::StoreBatch& b);
  void allocate_services(pb::StoreBatch& b);
  void allocate_tasks(pb::StoreBatch& b, int64_t now_ns);
  void allocate_nodes(pb::StoreBatch& b);

  std::optional<network_allocator> alloc_;
  // Every service, for its tasks' allocation.
  std::map<std::string, store::object_ptr<pb::Service>> services_;
  // Work: unallocated networks, changed services, NEW tasks.
  std::map<std::string, store::object_ptr<pb::Network>> networks_;
  std::set<std::string> dirty_services_;
  std::map<std::string, store::object_ptr<pb::Task>> fresh_;
  // Waiting for resources: tasks (by id) and services whose allocation
  // failed; tried again when something frees up.
  std::map<std::string, store::object_ptr<pb::Task>> blocked_;
  std::set<std::string> failed_services_;
  // The last failure of each failed network or service, to warn once.
  std::map<std::string, std::string> last_error_;
  std::vector<std::string> warnings_;
  bool freed_ = false;
  // Every node, the newest object of each, for its ingress address.
  std::map<std::string, store::object_ptr<pb::Node>> nodes_;
  // Services publishing a port in ingress mode: nodes get their ingress
  // address only while there is one (the routing mesh needs it then; a
  // cluster without published ports pays no node write per join).
  std::set<std::string> publishing_;
  bool nodes_always_ = false;
  // Nodes whose object lacks their ingress attachment; of those, the ones
  // proposed at their current version (proposed again only once a newer
  // version arrives) and the ones whose allocation failed (tried again
  // when something frees up, as blocked_ tasks).
  std::set<std::string> node_todo_;
  std::set<std::string> node_proposed_;
  std::set<std::string> node_blocked_;
  // The ingress network the store holds allocated ("": none), and the one
  // node_todo_ was last computed against (a new one: every node again).
  std::string ingress_;
  std::string nodes_for_;
  // After a batch of networks, services and tasks, nodes go first.
  bool nodes_turn_ = false;
};

} // namespace actorswarm::allocator
