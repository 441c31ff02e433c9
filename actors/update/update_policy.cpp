#include "actors/update/update_policy.hpp"

#include <string>

#include "messages/defaults.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::update {

policy policy_of(const pb::UpdateConfig* x) {
  policy out;
  if (x == nullptr) {
    out.parallelism = cluster_defaults::update_parallelism;
    out.monitor_ns = cluster_defaults::update_monitor_ns;
    return out;
  }
  out.parallelism = x->parallelism();
  out.delay_ns = x->delay_ns();
  out.monitor_ns = x->monitor_ns();
  out.max_failure_ratio = x->max_failure_ratio();
  out.failure_action = x->failure_action();
  out.order = x->order();
  return out;
}

bool rolling_back(const pb::Service& s) {
  auto st = s.update_status().state();
  return st == pb::UpdateStatus::ROLLBACK_STARTED
         || st == pb::UpdateStatus::ROLLBACK_PAUSED;
}

policy policy_of(const pb::Service& s) {
  const auto& spec = s.spec();
  if (rolling_back(s))
    return policy_of(spec.has_rollback() ? &spec.rollback() : nullptr);
  return policy_of(spec.has_update() ? &spec.update() : nullptr);
}

namespace {

status check(const pb::UpdateConfig& x, const std::string& flag) {
  auto invalid = [](const std::string& desc) {
    return fail(errc::invalid_spec,
                docker_text::rpc_error("InvalidArgument", "TaskSpec: " + desc));
  };
  if (x.delay_ns() < 0)
    return invalid(flag + "-delay cannot be negative");
  if (x.monitor_ns() < 0)
    return invalid(flag + "-monitor cannot be negative");
  // Written so that NaN fails too.
  if (!(x.max_failure_ratio() >= 0 && x.max_failure_ratio() <= 1))
    return invalid(flag
                   + "-maxfailureratio cannot be less than 0 or bigger than 1");
  return ok_status();
}

} // namespace

status validate_update_configs(const pb::ServiceSpec& spec) {
  if (auto st = check(spec.update(), "update"); !st)
    return st;
  return check(spec.rollback(), "rollback");
}

} // namespace actorswarm::update
