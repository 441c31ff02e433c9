#pragma once

// The allocator's bookkeeping between store commits, CAF-free (the actor is
// glue around it): it restores the network allocation state from a store
// view, notes each applied change, and builds the next batch to propose:
// networks' subnets and VNIs, services' endpoints, new tasks' addresses and
// their move to PENDING (SwarmKit's allocator, manager/allocator/).
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

  /// Tasks waiting for addresses (their allocation failed).
  size_t blocked_count() const noexcept {
    return blocked_.size();
  }

private:
  void configure(const store::object_ptr<pb::Cluster>& c);
  void note_task(const store::change& c);
  void retry_blocked();
  void allocate_networks(pb::StoreBatch& b);
  void allocate_services(pb::StoreBatch& b);
  void allocate_tasks(pb::StoreBatch& b, int64_t now_ns);

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
};

} // namespace actorswarm::allocator
