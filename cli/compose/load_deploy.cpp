// `deploy:` and `healthcheck:` of a service (docker's v3 deployment and
// healthcheck schemas), and the short port syntax.

#include "cli/compose/reader.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli::compose {

namespace {

using k = key_kind;

const std::vector<key_rule> deploy_keys = {
  {"mode", 0, k::supported},
  {"replicas", 0, k::supported},
  {"labels", 0, k::supported},
  {"resources", 0, k::supported},
  {"restart_policy", 0, k::supported},
  {"update_config", 0, k::supported},
  {"rollback_config", 7, k::supported},
  {"placement", 0, k::supported},
  {"endpoint_mode", 2, k::supported},
};

const std::vector<key_rule> resources_keys = {
  {"limits", 0, k::supported},
  {"reservations", 0, k::supported},
};

const std::vector<key_rule> limits_keys = {
  {"cpus", 0, k::supported},
  {"memory", 0, k::supported},
  {"pids", 9, k::unsupported},
};

const std::vector<key_rule> reservations_keys = {
  {"cpus", 0, k::supported},
  {"memory", 0, k::supported},
  {"generic_resources", 5, k::unsupported},
};

const std::vector<key_rule> restart_keys = {
  {"condition", 0, k::supported},
  {"delay", 0, k::supported},
  {"max_attempts", 0, k::supported},
  {"window", 0, k::supported},
};

// update_config has `order` from 3.4; rollback_config has it from its
// first version, 3.7.
const std::vector<key_rule> update_keys = {
  {"parallelism", 0, k::supported},       {"delay", 0, k::supported},
  {"failure_action", 0, k::supported},    {"monitor", 0, k::supported},
  {"max_failure_ratio", 0, k::supported}, {"order", 4, k::supported},
};

const std::vector<key_rule> placement_keys = {
  {"constraints", 0, k::supported},
  {"preferences", 3, k::supported},
  {"max_replicas_per_node", 8, k::supported},
};

const std::vector<key_rule> preference_keys = {
  {"spread", 3, k::supported},
};

const std::vector<key_rule> healthcheck_keys = {
  {"disable", 0, k::supported}, {"interval", 0, k::supported},
  {"retries", 0, k::supported}, {"test", 0, k::supported},
  {"timeout", 0, k::supported}, {"start_period", 4, k::supported},
};

void one_of(const reader& r, const YAML::Node& n, const std::string& path,
            const std::string& value, std::initializer_list<const char*> xs) {
  std::string list;
  for (auto x : xs) {
    if (value == x)
      return;
    list += std::string{list.empty() ? "" : ", "} + "\"" + x + "\"";
  }
  r.fail_at(n, path + " must be one of the following: " + list);
}

void read_resources(const reader& r, const YAML::Node& n,
                    const std::string& path, deploy_config& d) {
  for (auto& [key, v] : r.entries(n, path, resources_keys, "", 99)) {
    bool limits = key.Scalar() == "limits";
    auto at = path + "." + key.Scalar();
    auto& rules = limits ? limits_keys : reservations_keys;
    auto prefix = "deploy.resources." + key.Scalar() + ".";
    for (auto& [k2, x] : r.entries(v, at, rules, prefix, 99)) {
      auto at2 = at + "." + k2.Scalar();
      auto text = r.str(x, at2);
      if (k2.Scalar() == "cpus") {
        auto cpus = parse_nano_cpus(text);
        if (!cpus)
          r.fail_at(x, at2 + ": " + cpus.error().message);
        (limits ? d.limit_nano_cpus : d.reserve_nano_cpus) = *cpus;
      } else {
        auto bytes = parse_ram_bytes(text);
        if (!bytes)
          r.fail_at(x, at2 + ": " + bytes.error().message);
        (limits ? d.limit_memory_bytes : d.reserve_memory_bytes) = *bytes;
      }
    }
  }
}

restart_policy read_restart(const reader& r, const YAML::Node& n,
                            const std::string& path) {
  restart_policy p;
  for (auto& [key, v] : r.entries(n, path, restart_keys, "", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "condition") {
      p.condition = r.str(v, at);
      one_of(r, v, at, *p.condition, {"none", "on-failure", "any"});
    } else if (name == "delay") {
      p.delay_ns = r.duration_ns(v, at);
    } else if (name == "max_attempts") {
      p.max_attempts = r.uinteger(v, at);
    } else {
      p.window_ns = r.duration_ns(v, at);
    }
  }
  return p;
}

update_config read_update(const reader& r, const YAML::Node& n,
                          const std::string& path, bool rollback) {
  update_config u;
  auto rules = update_keys;
  if (rollback)
    rules.back().since_minor = 7;
  for (auto& [key, v] : r.entries(n, path, rules, "", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "parallelism") {
      u.parallelism = r.uinteger(v, at);
    } else if (name == "delay") {
      u.delay_ns = r.duration_ns(v, at);
    } else if (name == "monitor") {
      u.monitor_ns = r.duration_ns(v, at);
    } else if (name == "max_failure_ratio") {
      u.max_failure_ratio = r.number(v, at);
      if (u.max_failure_ratio < 0 || u.max_failure_ratio > 1)
        r.fail_at(v, at + " must be between 0 and 1");
    } else if (name == "failure_action") {
      u.failure_action = r.str(v, at);
      one_of(r, v, at, u.failure_action, {"pause", "continue", "rollback"});
    } else {
      u.order = r.str(v, at);
      one_of(r, v, at, u.order, {"start-first", "stop-first"});
    }
  }
  return u;
}

void read_placement(const reader& r, const YAML::Node& n,
                    const std::string& path, deploy_config& d) {
  for (auto& [key, v] : r.entries(n, path, placement_keys, "", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "constraints") {
      d.constraints = r.strings(v, at);
    } else if (name == "max_replicas_per_node") {
      d.max_replicas_per_node = r.uinteger(v, at);
    } else {
      if (!v.IsSequence())
        r.fail_at(v, at + " must be a list");
      size_t i = 0;
      for (auto p : v) {
        auto at2 = at + "." + std::to_string(i++);
        for (auto& [k2, x] : r.entries(p, at2, preference_keys, "", 99))
          d.preferences.push_back(r.str(x, at2 + ".spread"));
      }
    }
  }
}

} // namespace

void read_deploy(const reader& r, const YAML::Node& n, const std::string& path,
                 deploy_config& d) {
  if (n.IsNull())
    return;
  for (auto& [key, v] : r.entries(n, path, deploy_keys, "deploy.", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "mode") {
      d.mode = r.str(v, at);
      if (*d.mode != "replicated" && *d.mode != "global")
        r.fail_at(v, "unknown mode: " + *d.mode);
    } else if (name == "replicas") {
      d.replicas = r.uinteger(v, at);
    } else if (name == "labels") {
      for (auto& [lk, lv] : r.list_or_dict(v, at))
        d.labels[lk] = lv.value_or("");
    } else if (name == "resources") {
      read_resources(r, v, at, d);
    } else if (name == "restart_policy") {
      d.restart = read_restart(r, v, at);
    } else if (name == "update_config") {
      d.update = read_update(r, v, at, false);
    } else if (name == "rollback_config") {
      d.rollback = read_update(r, v, at, true);
    } else if (name == "placement") {
      read_placement(r, v, at, d);
    } else {
      d.endpoint_mode = r.str(v, at);
      one_of(r, v, at, *d.endpoint_mode, {"vip", "dnsrr"});
    }
  }
  if (d.mode == std::optional<std::string>{"global"} && d.replicas)
    r.fail_at(n, path + ": replicas can only be used with replicated mode");
}

healthcheck_config read_healthcheck(const reader& r, const YAML::Node& n,
                                    const std::string& path) {
  healthcheck_config h;
  bool has_test = false;
  for (auto& [key, v] : r.entries(n, path, healthcheck_keys, "", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "test") {
      has_test = true;
      if (v.IsScalar())
        h.test = {"CMD-SHELL", r.str(v, at)};
      else if (v.IsSequence())
        h.test = r.strings(v, at);
      else
        r.fail_at(v, at + " must be a string or list");
      if (!h.test.empty() && h.test[0] != "CMD" && h.test[0] != "CMD-SHELL"
          && h.test[0] != "NONE")
        r.fail_at(v, at + ": a list must start with CMD, CMD-SHELL or NONE");
    } else if (name == "disable") {
      h.disable = r.boolean(v, at);
    } else if (name == "retries") {
      h.retries = r.uinteger(v, at);
    } else if (name == "interval") {
      h.interval_ns = r.duration_ns(v, at);
    } else if (name == "timeout") {
      h.timeout_ns = r.duration_ns(v, at);
    } else {
      h.start_period_ns = r.duration_ns(v, at);
    }
  }
  if (h.disable && has_test)
    r.fail_at(n, path + ": test and disable can't be set at the same time");
  return h;
}

namespace {

// "80" or "8000-8001" -> [first, last]; 0 ports are refused.
std::optional<std::pair<uint32_t, uint32_t>> port_range(const std::string& x) {
  auto dash = x.find('-');
  auto one = [](const std::string& s) -> std::optional<uint32_t> {
    if (s.empty() || s.size() > 5
        || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    auto v = static_cast<uint32_t>(std::stoul(s));
    if (v < 1 || v > 65535)
      return std::nullopt;
    return v;
  };
  auto lo = one(x.substr(0, dash));
  auto hi = dash == std::string::npos ? lo : one(x.substr(dash + 1));
  if (!lo || !hi || *hi < *lo)
    return std::nullopt;
  return std::make_pair(*lo, *hi);
}

} // namespace

result<std::vector<port_config>> parse_short_ports(const std::string& spec) {
  auto bad = [](std::string msg) { return fail(errc::invalid_spec, msg); };
  auto raw = spec;
  std::string proto = "tcp";
  if (auto slash = raw.rfind('/'); slash != std::string::npos) {
    proto = raw.substr(slash + 1);
    raw.erase(slash);
    if (proto != "tcp" && proto != "udp")
      return bad("invalid proto: " + proto);
  }
  // docker's splitParts: [ip:][host:]container; an IPv6 address holds
  // colons itself. The address is not used: swarm publishes on all.
  auto last = raw.rfind(':');
  auto container = raw.substr(last == std::string::npos ? 0 : last + 1);
  std::string host;
  if (last != std::string::npos) {
    auto rest = raw.substr(0, last);
    auto prev = rest.rfind(':');
    host = rest.substr(prev == std::string::npos ? 0 : prev + 1);
  }
  if (container.empty())
    return bad("no port specified: " + spec + "<empty>");
  auto cr = port_range(container);
  if (!cr)
    return bad("invalid containerPort: " + container);
  std::optional<std::pair<uint32_t, uint32_t>> hr;
  if (!host.empty()) {
    hr = port_range(host);
    if (!hr)
      return bad("invalid hostPort: " + host);
    if (hr->second - hr->first != cr->second - cr->first)
      return bad("invalid ranges specified for container and host Ports: "
                 + container + " and " + host);
  }
  std::vector<port_config> out;
  for (uint32_t p = cr->first; p <= cr->second; ++p) {
    port_config x;
    x.target = p;
    x.published = hr ? hr->first + (p - cr->first) : 0;
    x.protocol = proto;
    out.push_back(x);
  }
  return out;
}

} // namespace actorswarm::cli::compose
