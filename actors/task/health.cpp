#include "actors/task/health.hpp"

#include "actors/task/task_state_machine.hpp"

namespace actorswarm::task {

const char* const unhealthy_text = "dockerexec: unhealthy container";

bool has_health_check(const pb::ContainerSpec& c) {
  if (!c.has_healthcheck())
    return false;
  auto& t = c.healthcheck().test();
  // ["NONE"], or none (docker: the image's, and the host runtime's has
  // none), or a kind without a command: no check.
  return t.size() >= 2 && (t[0] == "CMD-SHELL" || t[0] == "CMD")
         && !t[1].empty();
}

std::optional<health_plan> health_plan_of(const pb::ContainerSpec& c) {
  if (!has_health_check(c))
    return std::nullopt;
  auto& h = c.healthcheck();
  health_plan p;
  if (h.test(0) == "CMD-SHELL")
    p.argv = {"/bin/sh", "-c", h.test(1)};
  else
    p.argv.assign(h.test().begin() + 1, h.test().end());
  if (h.interval_ns() > 0)
    p.interval_ns = h.interval_ns();
  if (h.timeout_ns() > 0)
    p.timeout_ns = h.timeout_ns();
  if (h.retries() > 0)
    p.retries = h.retries();
  if (h.start_period_ns() > 0)
    p.start_period_ns = h.start_period_ns();
  return p;
}

std::string unhealthy_error(const process_exit& x) {
  if (x.known && !x.succeeded())
    return exit_error(x) + ": " + unhealthy_text;
  return unhealthy_text;
}

health_monitor::health_monitor(health_plan plan, int64_t started_ns,
                               pb::TaskStatus::Health from)
  : plan_(std::move(plan)), started_ns_(started_ns) {
  if (from == pb::TaskStatus::HEALTHY)
    status_ = from;
}

bool health_monitor::on_probe(bool ok, int64_t probe_start_ns) {
  auto before = status_;
  if (status_ == pb::TaskStatus::UNHEALTHY)
    return false;
  if (ok) {
    streak_ = 0;
    status_ = pb::TaskStatus::HEALTHY;
    return status_ != before;
  }
  // moby: while STARTING, failures within the start period do not count.
  if (status_ == pb::TaskStatus::STARTING
      && probe_start_ns - started_ns_ < plan_.start_period_ns)
    return false;
  ++streak_;
  if (streak_ >= plan_.retries)
    status_ = pb::TaskStatus::UNHEALTHY;
  return status_ != before;
}

const char* health_text(pb::TaskStatus::Health h) {
  switch (h) {
    case pb::TaskStatus::STARTING:
      return "health: starting";
    case pb::TaskStatus::HEALTHY:
      return "healthy";
    case pb::TaskStatus::UNHEALTHY:
      return "unhealthy";
    default:
      return "";
  }
}

} // namespace actorswarm::task
