// `service inspect --pretty`, the update part (cli/output/views.hpp): docker's
// UpdateStatus, UpdateConfig and RollbackConfig blocks.

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "cli/output/views.hpp"
#include "cli/units.hpp"
#include "cli/update_policy.hpp"

namespace actorswarm::cli::output {

namespace {

// Go's %v of a float32: the shortest text that reads back as the same
// float ("0", "0.2", "1e-05").
std::string format_float32(float x) {
  char buf[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, static_cast<double>(x));
    if (std::strtof(buf, nullptr) == x)
      break;
  }
  return buf;
}

// moby's UpdateState names: "updating", "rollback_started", ...
std::string state_name(pb::UpdateStatus::State x) {
  auto name = pb::UpdateStatus::State_Name(x);
  for (auto& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// `order` is the order line's label, padded as docker's template pads it.
void add_config(std::string& out, const char* title, const char* order,
                const pb::UpdateConfig& c) {
  out += std::string{title} + ":\n Parallelism:\t"
         + std::to_string(c.parallelism()) + "\n";
  if (c.delay_ns() > 0)
    out += " Delay:\t\t" + format_duration(c.delay_ns()) + "\n";
  out += " On failure:\t" + failure_action_name(c.failure_action()) + "\n";
  if (c.monitor_ns() > 0)
    out += " Monitoring Period: " + format_duration(c.monitor_ns()) + "\n";
  out += " Max failure ratio: " + format_float32(c.max_failure_ratio()) + "\n";
  out += std::string{" "} + order + update_order_name(c.order()) + "\n";
}

} // namespace

std::string update_status_pretty(const pb::Service& s, int64_t now_ns) {
  const auto& st = s.update_status();
  // docker: no block without a state (moby maps UNKNOWN to none).
  if (!s.has_update_status() || st.state() == pb::UpdateStatus::UNKNOWN)
    return "";
  std::string out = "UpdateStatus:\n State:\t\t" + state_name(st.state())
                    + "\n";
  if (st.started_at_ns() != 0)
    out += " Started:\t" + human_duration(now_ns - st.started_at_ns())
           + " ago\n";
  // docker's UpdateIsCompleted: a completed update, not a rollback.
  if (st.state() == pb::UpdateStatus::COMPLETED && st.completed_at_ns() != 0)
    out += " Completed:\t" + human_duration(now_ns - st.completed_at_ns())
           + " ago\n";
  return out + " Message:\t" + st.message() + "\n";
}

std::string update_config_pretty(const pb::ServiceSpec& spec) {
  std::string out;
  if (spec.has_update())
    add_config(out, "UpdateConfig", "Update order:      ", spec.update());
  if (spec.has_rollback())
    add_config(out, "RollbackConfig", "Rollback order:    ", spec.rollback());
  return out;
}

} // namespace actorswarm::cli::output
