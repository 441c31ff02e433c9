#include "actors/scheduler/filter.hpp"

#include <algorithm>

namespace actorswarm::scheduler {

namespace {

// SwarmKit's wording: "1 node" / "3 nodes".
std::string on_nodes(const char* what, size_t nodes) {
  return std::string{what} + " on " + std::to_string(nodes)
         + (nodes == 1 ? " node" : " nodes");
}

} // namespace

// -- ready_filter -------------------------------------------------------------

bool ready_filter::set_task(const pb::Task&) {
  return true;
}

bool ready_filter::check(const node_info& node) const {
  const auto& n = node.node();
  return node.known() && n.status().state() == pb::NodeStatus::READY
         && n.spec().availability() == pb::NodeSpec::ACTIVE;
}

std::string ready_filter::explain(size_t nodes) const {
  if (nodes == 1)
    return "1 node not available for new tasks";
  return std::to_string(nodes) + " nodes not available for new tasks";
}

// -- resource_filter ----------------------------------------------------------

bool resource_filter::set_task(const pb::Task& task) {
  const auto& r = task.spec().resources().reservations();
  nano_cpus_ = r.nano_cpus();
  memory_bytes_ = r.memory_bytes();
  return nano_cpus_ > 0 || memory_bytes_ > 0;
}

bool resource_filter::check(const node_info& node) const {
  return nano_cpus_ <= node.available_nano_cpus()
         && memory_bytes_ <= node.available_memory_bytes();
}

std::string resource_filter::explain(size_t nodes) const {
  return on_nodes("insufficient resources", nodes);
}

// -- constraint_filter --------------------------------------------------------

bool constraint_filter::set_task(const pb::Task& task) {
  const auto& exprs = task.spec().placement().constraints();
  if (exprs.empty())
    return false;
  auto parsed = parse_constraints({exprs.begin(), exprs.end()});
  valid_ = parsed.ok();
  constraints_ = valid_ ? std::move(*parsed) : std::vector<constraint>{};
  return true;
}

bool constraint_filter::check(const node_info& node) const {
  return valid_ && matches(constraints_, node.node());
}

std::string constraint_filter::explain(size_t nodes) const {
  return on_nodes("scheduling constraints not satisfied", nodes);
}

// -- max_replicas_filter ------------------------------------------------------

bool max_replicas_filter::set_task(const pb::Task& task) {
  service_id_ = &task.service_id();
  max_replicas_ = task.spec().placement().max_replicas();
  return max_replicas_ > 0;
}

bool max_replicas_filter::check(const node_info& node) const {
  return node.active_tasks_of(*service_id_) < max_replicas_;
}

std::string max_replicas_filter::explain(size_t) const {
  // SwarmKit's text, without a count.
  return "max replicas per node limit exceed";
}

// -- host_port_filter ---------------------------------------------------------

bool host_port_filter::set_task(const pb::Task& task) {
  ports_ = usage_of(task).host_ports;
  return !ports_.empty();
}

bool host_port_filter::check(const node_info& node) const {
  for (auto k : ports_)
    if (node.host_port_used(k))
      return false;
  return true;
}

std::string host_port_filter::explain(size_t nodes) const {
  // SwarmKit's text.
  return "host-mode port already in use on " + std::to_string(nodes)
         + (nodes == 1 ? " node" : " nodes");
}

// -- pipeline -----------------------------------------------------------------

pipeline::pipeline() {
  // SwarmKit: always check for readiness first.
  add_filter(std::make_unique<ready_filter>());
  add_filter(std::make_unique<resource_filter>());
  add_filter(std::make_unique<constraint_filter>());
  add_filter(std::make_unique<max_replicas_filter>());
  add_filter(std::make_unique<host_port_filter>());
}

void pipeline::add_filter(std::unique_ptr<filter> f) {
  checklist_.push_back(entry{std::move(f), false, 0});
}

void pipeline::set_task(const pb::Task& task) {
  for (auto& e : checklist_) {
    e.enabled = e.f->set_task(task);
    e.failures = 0;
  }
}

bool pipeline::process(const node_info& node) {
  for (auto& e : checklist_) {
    if (e.enabled && !e.f->check(node)) {
      ++e.failures;
      return false;
    }
  }
  return true;
}

std::string pipeline::explain() const {
  std::vector<const entry*> failed;
  for (const auto& e : checklist_)
    if (e.failures > 0)
      failed.push_back(&e);
  std::stable_sort(failed.begin(), failed.end(),
                   [](const entry* a, const entry* b) {
                     return a->failures > b->failures;
                   });
  std::string out;
  for (const auto* e : failed) {
    if (!out.empty())
      out += "; ";
    out += e->f->explain(e->failures);
  }
  return out;
}

} // namespace actorswarm::scheduler
