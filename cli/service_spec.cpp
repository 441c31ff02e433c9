#include "cli/service_spec.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "cli/mount_spec.hpp"
#include "cli/network_spec.hpp"
#include "cli/units.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::cli {

namespace {

constexpr int64_t default_restart_delay_ns = cluster_defaults::restart_delay_ns;
constexpr int64_t default_stop_grace_ns = cluster_defaults::stop_grace_ns;

status apply_mode(const service_create_flags& f, pb::ServiceSpec& spec) {
  if (f.mode.empty() || f.mode == "replicated") {
    spec.set_mode(pb::ServiceSpec::REPLICATED);
    uint64_t replicas = 1;
    auto st = parse_into("--replicas", f.replicas, parse_uint, replicas);
    spec.set_replicas(replicas);
    return st;
  }
  if (f.mode != "global")
    return fail(errc::invalid_spec,
                "Unknown mode: " + f.mode
                  + ", only replicated and global supported");
  spec.set_mode(pb::ServiceSpec::GLOBAL);
  if (!f.replicas.empty())
    return fail(errc::invalid_spec,
                "replicas can only be used with replicated mode");
  if (!f.replicas_max_per_node.empty())
    return fail(errc::invalid_spec,
                "replicas-max-per-node can only be used with replicated mode");
  return ok_status();
}

status apply_restart(const service_create_flags& f, pb::RestartPolicy& rp) {
  // Docker's defaults; the flags given override them.
  rp.set_condition(pb::RestartPolicy::ANY);
  rp.set_delay_ns(default_restart_delay_ns);
  rp.set_max_attempts(0);
  rp.set_window_ns(0);
  return apply_restart_flags(f.restart_condition, f.restart_delay,
                             f.restart_max_attempts, f.restart_window, rp);
}

status apply_placement(const service_create_flags& f, pb::Placement& pl) {
  for (const auto& c : f.constraints)
    pl.add_constraints(c);
  for (const auto& p : f.placement_prefs) {
    auto [strategy, arg] = split_kv(p);
    if (p.find('=') == std::string::npos)
      return bad_flag("--placement-pref", p,
                      "placement preference must be of the format "
                      "\"<strategy>=<arg>\"");
    if (strategy != "spread")
      return bad_flag("--placement-pref", p,
                      "unsupported placement preference " + strategy
                        + " (only spread is supported)");
    pl.add_spread_preferences(arg);
  }
  uint64_t max = 0;
  auto st = parse_into("--replicas-max-per-node", f.replicas_max_per_node,
                       parse_uint, max);
  pl.set_max_replicas(max);
  if (!st || f.placement_strategy.empty())
    return st;
  auto s = parse_strategy("--placement-strategy", f.placement_strategy);
  if (!s)
    return s.error();
  pl.set_strategy(*s);
  return ok_status();
}

status apply_resources(const service_create_flags& f,
                       pb::ResourceRequirements& r) {
  int64_t rcpu = 0, rmem = 0, lcpu = 0, lmem = 0;
  for (auto st :
       {parse_into("--reserve-cpu", f.reserve_cpu, parse_nano_cpus, rcpu),
        parse_into("--reserve-memory", f.reserve_memory, parse_ram_bytes, rmem),
        parse_into("--limit-cpu", f.limit_cpu, parse_nano_cpus, lcpu),
        parse_into("--limit-memory", f.limit_memory, parse_ram_bytes, lmem)})
    if (!st)
      return st;
  if (rcpu != 0 || rmem != 0) {
    r.mutable_reservations()->set_nano_cpus(rcpu);
    r.mutable_reservations()->set_memory_bytes(rmem);
  }
  if (lcpu != 0 || lmem != 0) {
    r.mutable_limits()->set_nano_cpus(lcpu);
    r.mutable_limits()->set_memory_bytes(lmem);
  }
  return ok_status();
}

status apply_container(const service_create_flags& f, pb::ContainerSpec& c) {
  c.set_image(f.image);
  for (const auto& x : f.command)
    c.add_command(x);
  for (const auto& e : f.env)
    c.add_env(e);
  c.set_dir(f.workdir);
  c.set_user(f.user);
  c.set_hostname(f.hostname);
  effective_caps(f.cap_add, f.cap_drop, c);
  int64_t grace = default_stop_grace_ns;
  auto st = parse_into("--stop-grace-period", f.stop_grace_period,
                       parse_duration_ns, grace);
  c.set_stop_grace_period_ns(grace);
  if (!st)
    return st;
  return apply_health_create(f.health, c);
}

// --network, --publish, --endpoint-mode.
status apply_networking(const service_create_flags& f, pb::ServiceSpec& spec) {
  for (const auto& x : f.networks) {
    auto n = parse_network_opt("--network", x);
    if (!n)
      return n.error();
    *spec.add_networks() = std::move(*n);
  }
  auto* ep = spec.mutable_endpoint();
  for (const auto& x : f.publish) {
    auto p = parse_port_opt("-p, --publish", x);
    if (!p)
      return p.error();
    *ep->add_ports() = std::move(*p);
  }
  auto mode = parse_endpoint_mode(f.endpoint_mode);
  if (!mode)
    return mode.error();
  ep->set_mode(*mode);
  return ok_status();
}

// pflag's IntVar parse (strconv.ParseInt's words).
result<int64_t> parse_int(const std::string& text) {
  auto digits = text.substr(!text.empty()
                            && (text[0] == '-' || text[0] == '+'));
  bool ok = !digits.empty() && digits.size() <= 18
            && std::all_of(digits.begin(), digits.end(),
                           [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!ok)
    return fail(errc::invalid_spec,
                "strconv.ParseInt: parsing \"" + text + "\": invalid syntax");
  return static_cast<int64_t>(std::stoll(text));
}

// docker's PositiveDurationOpt: a Go duration, not negative.
result<int64_t> parse_positive_duration(const std::string& text) {
  auto d = parse_duration_ns(text);
  if (d && *d < 0)
    return fail(errc::invalid_spec, "duration cannot be negative");
  return d;
}

// The durations and retries of `f` that were given, into `h`. On a bad
// value `h` is unchanged.
status apply_health_values(const health_flags& f, pb::HealthConfig& h) {
  int64_t interval = h.interval_ns(), timeout = h.timeout_ns(),
          start = h.start_period_ns(), retries = h.retries();
  for (auto st :
       {parse_into("--health-interval", f.interval, parse_positive_duration,
                   interval),
        parse_into("--health-timeout", f.timeout, parse_positive_duration,
                   timeout),
        parse_into("--health-start-period", f.start_period,
                   parse_positive_duration, start),
        parse_into("--health-retries", f.retries, parse_int, retries)})
    if (!st)
      return st;
  // The daemon's text (SwarmKit's controlapi): our wire's count is unsigned.
  if (retries < 0)
    return fail(errc::invalid_spec,
                "ContainerSpec: Retries in HealthConfig cannot be negative");
  h.set_interval_ns(interval);
  h.set_timeout_ns(timeout);
  h.set_start_period_ns(start);
  h.set_retries(static_cast<uint32_t>(
    std::min<int64_t>(retries, std::numeric_limits<uint32_t>::max())));
  return ok_status();
}

// Any --health-* flag but --no-healthcheck given.
bool any_health_setting(const health_flags& f) {
  return f.cmd_given || !f.cmd.empty() || !f.interval.empty()
         || !f.timeout.empty() || !f.start_period.empty() || !f.retries.empty();
}

const char* const health_conflict
  = "--no-healthcheck conflicts with --health-* options";

} // namespace

status apply_health_create(const health_flags& f, pb::ContainerSpec& c) {
  // docker: a retries of 0 counts as not given on create.
  bool settings = !f.cmd.empty() || !f.interval.empty() || !f.timeout.empty()
                  || !f.start_period.empty()
                  || (!f.retries.empty() && f.retries != "0");
  if (f.no_healthcheck) {
    if (settings)
      return fail(errc::invalid_spec, health_conflict);
    c.mutable_healthcheck()->Clear();
    c.mutable_healthcheck()->add_test("NONE");
    return ok_status();
  }
  if (!settings)
    return ok_status();
  pb::HealthConfig h;
  if (auto st = apply_health_values(f, h); !st)
    return st;
  if (!f.cmd.empty()) {
    h.add_test("CMD-SHELL");
    h.add_test(f.cmd);
  }
  *c.mutable_healthcheck() = std::move(h);
  return ok_status();
}

status apply_health_update(const health_flags& f, pb::ContainerSpec& c) {
  if (health_flags_empty(f))
    return ok_status();
  if (f.no_healthcheck) {
    if (any_health_setting(f))
      return fail(errc::invalid_spec, health_conflict);
    c.mutable_healthcheck()->Clear();
    c.mutable_healthcheck()->add_test("NONE");
    return ok_status();
  }
  auto h = c.healthcheck();
  if (h.test_size() > 0 && h.test(0) == "NONE")
    h.clear_test();
  if (auto st = apply_health_values(f, h); !st)
    return st;
  if (f.cmd_given || !f.cmd.empty()) {
    h.clear_test();
    if (!f.cmd.empty()) {
      h.add_test("CMD-SHELL");
      h.add_test(f.cmd);
    }
  }
  *c.mutable_healthcheck() = std::move(h);
  return ok_status();
}

bool health_flags_empty(const health_flags& f) {
  return !f.no_healthcheck && !any_health_setting(f);
}

status apply_restart_flags(const std::string& condition,
                           const std::string& delay,
                           const std::string& max_attempts,
                           const std::string& window, pb::RestartPolicy& rp) {
  if (condition == "any")
    rp.set_condition(pb::RestartPolicy::ANY);
  else if (condition == "on-failure")
    rp.set_condition(pb::RestartPolicy::ON_FAILURE);
  else if (condition == "none")
    rp.set_condition(pb::RestartPolicy::NONE);
  else if (!condition.empty())
    return bad_flag("--restart-condition", condition,
                    "must be one of none, on-failure, any");
  int64_t delay_ns = rp.delay_ns(), window_ns = rp.window_ns();
  uint64_t attempts = rp.max_attempts();
  for (auto st :
       {parse_into("--restart-delay", delay, parse_duration_ns, delay_ns),
        parse_into("--restart-max-attempts", max_attempts, parse_uint,
                   attempts),
        parse_into("--restart-window", window, parse_duration_ns, window_ns)})
    if (!st)
      return st;
  if (delay_ns < 0 || window_ns < 0)
    return fail(errc::invalid_spec,
                "restart delay and window must not be negative");
  rp.set_delay_ns(delay_ns);
  rp.set_max_attempts(attempts);
  rp.set_window_ns(window_ns);
  return ok_status();
}

std::string normalize_cap(const std::string& x) {
  auto lo = x.find_first_not_of(" \t\n\r");
  auto hi = x.find_last_not_of(" \t\n\r");
  std::string out = lo == std::string::npos ? "" : x.substr(lo, hi - lo + 1);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (out == "ALL" || out == "RESET" || out.rfind("CAP_", 0) == 0)
    return out;
  return "CAP_" + out;
}

void effective_caps(const std::vector<std::string>& add,
                    const std::vector<std::string>& drop,
                    pb::ContainerSpec& c) {
  auto normalized = [](const std::vector<std::string>& xs) {
    std::set<std::string> out;
    for (const auto& x : xs)
      out.insert(normalize_cap(x));
    if (out.count("ALL") != 0)
      out = {"ALL"};
    return out;
  };
  auto adds = normalized(add);
  auto drops = normalized(drop);
  for (const auto& x : adds)
    drops.erase(x);
  c.clear_capability_add();
  c.clear_capability_drop();
  for (const auto& x : adds)
    c.add_capability_add(x);
  for (const auto& x : drops)
    c.add_capability_drop(x);
}

std::pair<std::string, std::string> split_kv(const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos)
    return {kv, ""};
  return {kv.substr(0, eq), kv.substr(eq + 1)};
}

result<pb::Placement::Strategy> parse_strategy(const std::string& flag,
                                               const std::string& value) {
  if (value == "spread")
    return pb::Placement::SPREAD;
  if (value == "binpack")
    return pb::Placement::BINPACK;
  if (value == "random")
    return pb::Placement::RANDOM;
  return bad_flag(flag, value, "must be one of spread, binpack, random");
}

result<pb::ServiceSpec> build_service_spec(const service_create_flags& f) {
  pb::ServiceSpec spec;
  spec.set_name(f.name);
  auto* task = spec.mutable_task();
  for (auto st :
       {apply_mode(f, spec), apply_restart(f, *task->mutable_restart()),
        apply_placement(f, *task->mutable_placement()),
        apply_resources(f, *task->mutable_resources()),
        apply_container(f, *task->mutable_container()),
        apply_networking(f, spec), apply_update_policy(f.policy, spec)})
    if (!st)
      return st.error();
  for (const auto& x : f.mounts) {
    auto m = parse_mount_opt("--mount", x);
    if (!m)
      return m.error();
    *task->mutable_container()->add_mounts() = std::move(*m);
  }
  for (const auto& l : f.labels) {
    auto [k, v] = split_kv(l);
    (*spec.mutable_labels())[k] = v;
  }
  return spec;
}

} // namespace actorswarm::cli
