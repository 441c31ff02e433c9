#pragma once

// Per-node bookkeeping of the scheduler, after SwarmKit's
// manager/scheduler/nodeinfo.go: the node object plus what its active tasks
// reserve, kept incrementally so filters and strategies never rescan tasks.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/objects.pb.h"

namespace actorswarm::scheduler {

/// What one active task costs its node.
struct task_usage {
  std::string service_id;
  /// Reserved CPU, 1e9 = one core; never negative.
  int64_t nano_cpus = 0;
  /// Reserved memory; never negative.
  int64_t memory_bytes = 0;
  /// Ports it publishes in host mode (host_port_key), each at most once.
  std::vector<uint32_t> host_ports;
};

/// A published port as the host-port filter keys it: protocol and number.
inline uint32_t host_port_key(bool udp, uint32_t port) {
  return (udp ? 0x10000u : 0u) | (port & 0xffffu);
}

/// Builds the usage of `task` from its service and reservations.
task_usage usage_of(const pb::Task& task);

/// One node as the scheduler sees it. A node_info may exist before its node
/// is known (`known() == false`) because tasks naming it arrived first; such a
/// placeholder only carries counts and is never a placement candidate.
class node_info {
public:
  // -- constructors -----------------------------------------------------------

  /// A placeholder for a node id that tasks refer to but no node was seen for.
  explicit node_info(std::string id);

  // -- node -------------------------------------------------------------------

  /// Replaces the node object (spec, status, description); counts stay.
  void set_node(const pb::Node& node);

  /// Forgets the node object, keeping counts: the node becomes a placeholder.
  void forget_node();

  /// True when a node object is present.
  bool known() const noexcept {
    return known_;
  }

  const std::string& id() const noexcept {
    return id_;
  }

  /// The node object; default-initialized for a placeholder.
  const pb::Node& node() const noexcept {
    return node_;
  }

  // -- tasks ------------------------------------------------------------------

  /// Counts an active task on this node and reserves its resources.
  void add_task(const task_usage& usage);

  /// Undoes add_task for the same usage. Counts never go below zero.
  void remove_task(const task_usage& usage);

  /// Active tasks on this node, all services.
  uint32_t active_tasks() const noexcept {
    return active_tasks_;
  }

  /// Active tasks of `service_id` on this node.
  uint32_t active_tasks_of(const std::string& service_id) const;

  /// True when an active task here publishes `key` (host_port_key) in host
  /// mode.
  bool host_port_used(uint32_t key) const {
    return host_ports_.count(key) != 0;
  }

  // -- resources --------------------------------------------------------------

  /// Total CPU minus reservations of active tasks; may be negative when the
  /// node shrank under its tasks.
  int64_t available_nano_cpus() const noexcept {
    return node_.description().resources().nano_cpus() - reserved_nano_cpus_;
  }

  /// Total memory minus reservations of active tasks; may be negative.
  int64_t available_memory_bytes() const noexcept {
    return node_.description().resources().memory_bytes()
           - reserved_memory_bytes_;
  }

  int64_t reserved_nano_cpus() const noexcept {
    return reserved_nano_cpus_;
  }

  int64_t reserved_memory_bytes() const noexcept {
    return reserved_memory_bytes_;
  }

  /// How full the node is, for binpack: reserved/total CPU plus reserved/total
  /// memory, each in [0, 1] (a resource with zero total counts as 0).
  double load() const noexcept;

  // -- failures ---------------------------------------------------------------

  /// Remembers that a task of `versioned_service` (see failure_key) failed
  /// here at wall-clock `at_ns`, keeping only the latest `keep` per key and
  /// dropping entries older than `at_ns - window_ns`.
  void record_failure(const std::string& versioned_service, int64_t at_ns,
                      uint32_t keep, int64_t window_ns);

  /// Failures of `versioned_service` in (now_ns - window_ns, now_ns].
  uint32_t recent_failures(const std::string& versioned_service, int64_t now_ns,
                           int64_t window_ns) const;

private:
  std::string id_;
  pb::Node node_;
  bool known_ = false;
  int64_t reserved_nano_cpus_ = 0;
  int64_t reserved_memory_bytes_ = 0;
  // Host-mode ports of active tasks: key -> tasks publishing it.
  std::unordered_map<uint32_t, uint32_t> host_ports_;
  uint32_t active_tasks_ = 0;
  std::unordered_map<std::string, uint32_t> tasks_by_service_;
  /// Failure times by versioned service, oldest first, at most `keep` each.
  std::unordered_map<std::string, std::vector<int64_t>> failures_;
};

/// The key failures are counted under: SwarmKit counts them per service and
/// spec version, so an update that fixes a crash starts with a clean slate.
std::string failure_key(const pb::Task& task);

} // namespace actorswarm::scheduler
