#pragma once

// Node filters and the pipeline that runs them, after SwarmKit's
// manager/scheduler/filter.go and pipeline.go. A filter is told the task
// (set_task), then asked about nodes (check); the pipeline counts, per filter,
// the nodes it rejected, which makes the "no suitable node (...)" text.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "actors/scheduler/constraint.hpp"
#include "actors/scheduler/node_info.hpp"
#include "messages/objects.pb.h"

namespace actorswarm::scheduler {

/// Decides whether one task may run on one node.
class filter {
public:
  virtual ~filter() = default;

  /// Prepares for `task`, which outlives every following check().
  /// @returns false when the filter does not apply to this task (e.g. no
  ///          reservations); check() is then not called.
  virtual bool set_task(const pb::Task& task) = 0;

  /// True when the task given to set_task may run on `node`.
  virtual bool check(const node_info& node) const = 0;

  /// Why `nodes` (>= 1) nodes failed this filter, e.g.
  /// "insufficient resources on 3 nodes".
  virtual std::string explain(size_t nodes) const = 0;
};

/// Node status READY and availability ACTIVE.
class ready_filter : public filter {
public:
  bool set_task(const pb::Task& task) override;
  bool check(const node_info& node) const override;
  std::string explain(size_t nodes) const override;
};

/// Reservations fit into what the node has left. Enabled only when the task
/// reserves CPU or memory.
class resource_filter : public filter {
public:
  bool set_task(const pb::Task& task) override;
  bool check(const node_info& node) const override;
  std::string explain(size_t nodes) const override;

private:
  int64_t nano_cpus_ = 0;
  int64_t memory_bytes_ = 0;
};

/// placement.constraints hold on the node. Enabled when the task has
/// constraints. Unparsable constraints match no node (fail closed; the control
/// actor refuses them before they get here).
class constraint_filter : public filter {
public:
  bool set_task(const pb::Task& task) override;
  bool check(const node_info& node) const override;
  std::string explain(size_t nodes) const override;

private:
  std::vector<constraint> constraints_;
  bool valid_ = true;
};

/// No active task on the node publishes one of the task's host-mode ports
/// (SwarmKit's HostPortFilter). Enabled when the task publishes in host mode.
class host_port_filter : public filter {
public:
  bool set_task(const pb::Task& task) override;
  bool check(const node_info& node) const override;
  std::string explain(size_t nodes) const override;

private:
  std::vector<uint32_t> ports_;
};

/// Fewer than placement.max_replicas tasks of the service on the node.
/// Enabled when max_replicas > 0.
class max_replicas_filter : public filter {
public:
  bool set_task(const pb::Task& task) override;
  bool check(const node_info& node) const override;
  std::string explain(size_t nodes) const override;

private:
  const std::string* service_id_ = nullptr;
  uint64_t max_replicas_ = 0;
};

/// Runs filters in order, stopping at the first that rejects a node.
class pipeline {
public:
  /// The default filters: ready, resources, constraints, max replicas.
  pipeline();

  pipeline(pipeline&&) = default;
  pipeline& operator=(pipeline&&) = default;

  /// Plugin point: appends a filter that runs after the default ones.
  void add_filter(std::unique_ptr<filter> f);

  /// Prepares every filter for `task` (which must outlive the following
  /// process() calls) and resets the failure counts.
  void set_task(const pb::Task& task);

  /// True when every enabled filter accepts `node`; otherwise counts one
  /// failure against the first filter that rejected it.
  bool process(const node_info& node);

  /// SwarmKit's explanation: each failing filter's text, most failures first
  /// (ties in pipeline order), joined by "; ". Empty when nothing failed.
  std::string explain() const;

private:
  struct entry {
    std::unique_ptr<filter> f;
    bool enabled = false;
    size_t failures = 0;
  };

  std::vector<entry> checklist_;
};

} // namespace actorswarm::scheduler
