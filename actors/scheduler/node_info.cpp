#include "actors/scheduler/node_info.hpp"

#include <algorithm>

namespace actorswarm::scheduler {

task_usage usage_of(const pb::Task& task) {
  const auto& r = task.spec().resources().reservations();
  task_usage out;
  out.service_id = task.service_id();
  out.nano_cpus = std::max<int64_t>(r.nano_cpus(), 0);
  out.memory_bytes = std::max<int64_t>(r.memory_bytes(), 0);
  for (auto& p : task.endpoint().ports())
    if (p.publish_mode() == pb::PortConfig::HOST && p.published_port() != 0) {
      auto key = host_port_key(p.protocol() == pb::PortConfig::UDP,
                               p.published_port());
      if (std::find(out.host_ports.begin(), out.host_ports.end(), key)
          == out.host_ports.end())
        out.host_ports.push_back(key);
    }
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
  for (auto k : usage.host_ports)
    ++host_ports_[k];
}

void node_info::remove_task(const task_usage& usage) {
  reserved_nano_cpus_ = std::max<int64_t>(0, reserved_nano_cpus_
                                               - usage.nano_cpus);
  reserved_memory_bytes_ = std::max<int64_t>(0, reserved_memory_bytes_
                                                  - usage.memory_bytes);
  if (active_tasks_ > 0)
    --active_tasks_;
  for (auto k : usage.host_ports)
    if (auto h = host_ports_.find(k);
        h != host_ports_.end() && --h->second == 0)
      host_ports_.erase(h);
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
    return std::min(1.0,
                    static_cast<double>(used) / static_cast<double>(total));
  };
  const auto& total = node_.description().resources();
  return fraction(reserved_nano_cpus_, total.nano_cpus())
         + fraction(reserved_memory_bytes_, total.memory_bytes());
}

} // namespace actorswarm::scheduler

namespace actorswarm::scheduler {

std::string failure_key(const pb::Task& task) {
  return task.service_id() + "@" + std::to_string(task.spec_version());
}

void node_info::record_failure(const std::string& versioned_service,
                               int64_t at_ns, uint32_t keep,
                               int64_t window_ns) {
  if (keep == 0)
    return;
  // Forget keys whose failures all left the window, so the map stays small.
  for (auto i = failures_.begin(); i != failures_.end();) {
    if (!i->second.empty() && i->second.back() <= at_ns - window_ns)
      i = failures_.erase(i);
    else
      ++i;
  }
  auto& times = failures_[versioned_service];
  times.push_back(at_ns);
  std::sort(times.begin(), times.end());
  if (times.size() > keep)
    times.erase(times.begin(), times.end() - keep);
}

uint32_t node_info::recent_failures(const std::string& versioned_service,
                                    int64_t now_ns, int64_t window_ns) const {
  auto i = failures_.find(versioned_service);
  if (i == failures_.end())
    return 0;
  uint32_t n = 0;
  for (auto at : i->second)
    if (at > now_ns - window_ns && at <= now_ns)
      ++n;
  return n;
}

} // namespace actorswarm::scheduler
