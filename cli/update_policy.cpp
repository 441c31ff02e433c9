#include "cli/update_policy.hpp"

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>

#include "cli/units.hpp"

namespace actorswarm::cli {

namespace {

constexpr int64_t default_monitor_ns = 5'000'000'000;

// One family's flag names and texts: "update" or "rollback".
struct family {
  std::string name;

  std::string flag(const char* suffix) const {
    return "--" + name + "-" + suffix;
  }
};

status parse_failure_action(const family& fam, const std::string& x,
                            pb::UpdateConfig& out) {
  if (x.empty())
    return ok_status();
  if (x == "pause")
    out.set_failure_action(pb::UpdateConfig::PAUSE);
  else if (x == "continue")
    out.set_failure_action(pb::UpdateConfig::CONTINUE);
  else if (x == "rollback" && fam.name == "update")
    out.set_failure_action(pb::UpdateConfig::ROLLBACK);
  else if (x == "rollback")
    // A rollback never rolls back (SwarmKit pauses one that fails).
    return fail(errc::invalid_spec,
                "unrecognized rollback failure action " + x);
  else
    // moby's updateConfigToGRPC, which words both families so.
    return fail(errc::invalid_spec, "unrecognized update failure action " + x);
  return ok_status();
}

status parse_order(const std::string& x, pb::UpdateConfig& out) {
  if (x.empty())
    return ok_status();
  if (x == "stop-first")
    out.set_order(pb::UpdateConfig::STOP_FIRST);
  else if (x == "start-first")
    out.set_order(pb::UpdateConfig::START_FIRST);
  else
    return fail(errc::invalid_spec, "unrecognized update order " + x);
  return ok_status();
}

// SwarmKit's controlapi validateUpdate (its texts for both families),
// checked before anything is sent.
status validate(const pb::UpdateConfig& c) {
  auto invalid = [](const std::string& what) {
    return fail(errc::invalid_spec, "TaskSpec: update-" + what);
  };
  if (c.delay_ns() < 0)
    return invalid("delay cannot be negative");
  if (c.monitor_ns() < 0)
    return invalid("monitor cannot be negative");
  // Written so that NaN is refused too.
  if (!(c.max_failure_ratio() >= 0 && c.max_failure_ratio() <= 1))
    return invalid("maxfailureratio cannot be less than 0 or bigger than 1");
  return ok_status();
}

// One family onto `cfg` (its current config, present or not).
status apply_family(const family& fam, const update_config_flags& f,
                    bool present, pb::UpdateConfig& cfg) {
  if (f.empty())
    return ok_status();
  auto c = present ? cfg : default_update_config();
  uint64_t parallelism = c.parallelism();
  int64_t delay_ns = c.delay_ns(), monitor_ns = c.monitor_ns();
  float ratio = c.max_failure_ratio();
  for (
    auto st :
    {parse_into(fam.flag("parallelism"), f.parallelism, parse_uint,
                parallelism),
     parse_into(fam.flag("delay"), f.delay, parse_duration_ns, delay_ns),
     parse_into(fam.flag("monitor"), f.monitor, parse_duration_ns, monitor_ns),
     parse_into(fam.flag("max-failure-ratio"), f.max_failure_ratio,
                parse_float32, ratio),
     parse_failure_action(fam, f.failure_action, c), parse_order(f.order, c)})
    if (!st)
      return st;
  c.set_parallelism(parallelism);
  c.set_delay_ns(delay_ns);
  c.set_monitor_ns(monitor_ns);
  c.set_max_failure_ratio(ratio);
  if (auto st = validate(c); !st)
    return st;
  cfg = std::move(c);
  return ok_status();
}

} // namespace

bool update_config_flags::empty() const {
  return parallelism.empty() && delay.empty() && failure_action.empty()
         && monitor.empty() && max_failure_ratio.empty() && order.empty();
}

pb::UpdateConfig default_update_config() {
  pb::UpdateConfig c;
  c.set_parallelism(1);
  c.set_delay_ns(0);
  c.set_failure_action(pb::UpdateConfig::PAUSE);
  c.set_monitor_ns(default_monitor_ns);
  c.set_max_failure_ratio(0);
  c.set_order(pb::UpdateConfig::STOP_FIRST);
  return c;
}

status apply_update_policy(const update_policy_flags& f,
                           pb::ServiceSpec& spec) {
  // Both families on copies first: a bad value leaves the spec untouched.
  auto update = spec.update();
  auto rollback = spec.rollback();
  if (auto st = apply_family({"update"}, f.update, spec.has_update(), update);
      !st)
    return st;
  if (auto st = apply_family({"rollback"}, f.rollback, spec.has_rollback(),
                             rollback);
      !st)
    return st;
  if (!f.update.empty())
    *spec.mutable_update() = std::move(update);
  if (!f.rollback.empty())
    *spec.mutable_rollback() = std::move(rollback);
  return ok_status();
}

result<float> parse_float32(const std::string& text) {
  auto syntax = [&text] {
    return fail(errc::invalid_spec,
                "strconv.ParseFloat: parsing \"" + text + "\": invalid syntax");
  };
  // strtod skips leading blanks and takes a prefix; Go takes neither.
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return syntax();
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size())
    return syntax();
  bool out_of_range = (errno == ERANGE && v != 0)
                      || (std::isfinite(v) && std::fabs(v) > FLT_MAX);
  if (out_of_range)
    return fail(errc::invalid_spec, "strconv.ParseFloat: parsing \"" + text
                                      + "\": value out of range");
  return static_cast<float>(v);
}

std::string failure_action_name(pb::UpdateConfig::FailureAction x) {
  switch (x) {
    case pb::UpdateConfig::CONTINUE:
      return "continue";
    case pb::UpdateConfig::ROLLBACK:
      return "rollback";
    default:
      return "pause";
  }
}

std::string update_order_name(pb::UpdateConfig::Order x) {
  return x == pb::UpdateConfig::START_FIRST ? "start-first" : "stop-first";
}

} // namespace actorswarm::cli
