#include "actors/scheduler/node_info.hpp"

#include <algorithm>

namespace actorswarm::scheduler {

task_usage usage_of(const pb::Task& task) {
  const auto& r = task.spec().resources().reservations();
  task_usage out;
  out.service_id = task.service_id();
  out.nano_cpus = std::max<int64_t>(r.nano_cpus(), 0);
  out.memory_bytes = std::max<int64_t>(r.memory_bytes(), 0);
  return out;
}

node_info::node_info(std::string id) : id_(std::move(id)) {
  // nop
}

void node_info::set_node(const pb::Node& node) {
  node_ = node;
  known_ = true;
}

void node_info::forget_node() {
  node_.Clear();
  known_ = false;
}

void node_info::add_task(const task_usage& usage) {
  reserved_nano_cpus_ += usage.nano_cpus;
  reserved_memory_bytes_ += usage.memory_bytes;
  ++active_tasks_;
  ++tasks_by_service_[usage.service_id];
}

void node_info::remove_task(const task_usage& usage) {
  reserved_nano_cpus_ = std::max<int64_t>(0, reserved_nano_cpus_
                                               - usage.nano_cpus);
  reserved_memory_bytes_ = std::max<int64_t>(0, reserved_memory_bytes_
                                                  - usage.memory_bytes);
  if (active_tasks_ > 0)
    --active_tasks_;
  auto i = tasks_by_service_.find(usage.service_id);
  if (i == tasks_by_service_.end())
    return;
  if (i->second <= 1)
    tasks_by_service_.erase(i);
  else
    --i->second;
}

uint32_t node_info::active_tasks_of(const std::string& service_id) const {
  auto i = tasks_by_service_.find(service_id);
  return i == tasks_by_service_.end() ? 0 : i->second;
}

double node_info::load() const noexcept {
  auto fraction = [](int64_t used, int64_t total) {
    if (total <= 0)
      return 0.0;
    return std::min(1.0, static_cast<double>(used) / static_cast<double>(total));
  };
  const auto& total = node_.description().resources();
  return fraction(reserved_nano_cpus_, total.nano_cpus())
         + fraction(reserved_memory_bytes_, total.memory_bytes());
}

} // namespace actorswarm::scheduler
