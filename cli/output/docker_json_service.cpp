// service_json and service_spec_json of docker_json.hpp (moby's
// api/types/swarm service.go, task.go, container.go, network.go).

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cli/output/docker_json.hpp"
#include "cli/output/docker_json_detail.hpp"

namespace actorswarm::cli::output {

using namespace detail;

namespace {

// docker's UpdateConfig defaults (cli/opts: parallelism 1, pause, 5s
// monitor, stop-first), shown for a spec that left the policy unset.
constexpr uint64_t default_parallelism = 1;
constexpr int64_t default_monitor_ns = 5'000'000'000;

// Go encodes a float32 in its shortest form: 0.2, not 0.20000000298.
oj go_float32(float f) {
  if (std::floor(f) == f && std::fabs(f) < 1e15f)
    return static_cast<int64_t>(f);
  char buf[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f)
      break;
  }
  return std::strtod(buf, nullptr);
}

oj mount_json(const pb::Mount& m, go_view view) {
  go_struct out{view};
  out.opt("Type", m.type() == pb::Mount::VOLUME ? "volume" : "bind");
  out.opt("Source", m.source());
  out.opt("Target", m.target());
  out.opt("ReadOnly", m.read_only());
  return out.done();
}

oj healthcheck_json(const pb::ContainerSpec& c, go_view view) {
  if (!c.has_healthcheck())
    return nullptr;
  const auto& h = c.healthcheck();
  go_struct out{view};
  out.opt("Test", strings(h.test()));
  out.opt("Interval", h.interval_ns());
  out.opt("Timeout", h.timeout_ns());
  out.opt("StartPeriod", h.start_period_ns());
  out.opt("Retries", h.retries());
  return out.done();
}

oj container_json(const pb::ContainerSpec& c, go_view view) {
  auto mounts = oj::array();
  for (const auto& m : c.mounts())
    mounts.push_back(mount_json(m, view));
  go_struct out{view};
  out.opt("Image", c.image());
  out.opt("Labels", string_map(c.labels()));
  // docker's Command is --entrypoint; `create IMAGE CMD ARGS` stores Args.
  out.opt("Command", oj::array());
  out.opt("Args", strings(c.command()));
  out.opt("Hostname", c.hostname());
  out.opt("Env", strings(c.env()));
  out.opt("Dir", c.dir());
  out.opt("User", c.user());
  out.opt("Mounts", std::move(mounts));
  out.ptr("StopGracePeriod", c.stop_grace_period_ns() == 0
                               ? oj(nullptr)
                               : oj(c.stop_grace_period_ns()));
  out.ptr("Healthcheck", healthcheck_json(c, view));
  out.opt("CapabilityAdd", strings(c.capability_add()));
  out.opt("CapabilityDrop", strings(c.capability_drop()));
  return out.done();
}

oj resources_json(const pb::Resources& r, go_view view) {
  go_struct out{view};
  out.opt("NanoCPUs", r.nano_cpus());
  out.opt("MemoryBytes", r.memory_bytes());
  return out.done();
}

oj restart_json(const pb::RestartPolicy& r, go_view view) {
  static const char* conditions[] = {"any", "on-failure", "none"};
  go_struct out{view};
  auto c = static_cast<size_t>(r.condition());
  out.opt("Condition", c < 3 ? conditions[c] : "any");
  out.ptr("Delay", r.delay_ns());
  out.ptr("MaxAttempts", r.max_attempts());
  out.ptr("Window", r.window_ns() == 0 ? oj(nullptr) : oj(r.window_ns()));
  return out.done();
}

oj placement_json(const pb::Placement& p, go_view view) {
  auto prefs = oj::array();
  for (const auto& x : p.spread_preferences())
    prefs.push_back({{"Spread", {{"SpreadDescriptor", x}}}});
  go_struct out{view};
  out.opt("Constraints", strings(p.constraints()));
  out.opt("Preferences", std::move(prefs));
  out.opt("MaxReplicas", p.max_replicas());
  return out.done();
}

oj networks_json(const pb::ServiceSpec& s, go_view view) {
  auto out = oj::array();
  for (const auto& n : s.networks()) {
    go_struct a{view};
    a.opt("Target", n.target());
    a.opt("Aliases", strings(n.aliases()));
    out.push_back(a.done());
  }
  return out;
}

oj task_json(const pb::ServiceSpec& s, go_view view) {
  const auto& t = s.task();
  go_struct res{view};
  res.ptr("Limits", resources_json(t.resources().limits(), view));
  res.ptr("Reservations", resources_json(t.resources().reservations(), view));
  go_struct out{view};
  out.ptr("ContainerSpec", container_json(t.container(), view));
  out.ptr("Resources", res.done());
  out.ptr("RestartPolicy", restart_json(t.restart(), view));
  out.ptr("Placement", placement_json(t.placement(), view));
  out.opt("Networks", networks_json(s, view));
  out.req("ForceUpdate", 0);
  out.opt("Runtime", "container");
  return out.done();
}

oj mode_json(const pb::ServiceSpec& s, go_view view) {
  bool global = s.mode() == pb::ServiceSpec::GLOBAL;
  go_struct out{view};
  out.ptr("Replicated", global ? oj(nullptr) : oj{{"Replicas", s.replicas()}});
  out.ptr("Global", global ? oj::object() : oj(nullptr));
  return out.done();
}

oj update_config_json(bool set, const pb::UpdateConfig& u, go_view view) {
  static const char* actions[] = {"pause", "continue", "rollback"};
  auto a = static_cast<size_t>(u.failure_action());
  go_struct out{view};
  out.req("Parallelism", set ? u.parallelism() : default_parallelism);
  out.opt("Delay", u.delay_ns());
  out.opt("FailureAction", a < 3 ? actions[a] : "pause");
  out.opt("Monitor", set ? u.monitor_ns() : default_monitor_ns);
  out.req("MaxFailureRatio", go_float32(u.max_failure_ratio()));
  out.req("Order", u.order() == pb::UpdateConfig::START_FIRST ? "start-first"
                                                              : "stop-first");
  return out.done();
}

oj port_json(const pb::PortConfig& p, go_view view) {
  go_struct out{view};
  out.opt("Name", p.name());
  out.opt("Protocol", p.protocol() == pb::PortConfig::UDP ? "udp" : "tcp");
  out.opt("TargetPort", p.target_port());
  out.opt("PublishedPort", p.published_port());
  out.opt("PublishMode",
          p.publish_mode() == pb::PortConfig::HOST ? "host" : "ingress");
  return out.done();
}

oj ports_json(const google::protobuf::RepeatedPtrField<pb::PortConfig>& xs,
              go_view view) {
  auto out = oj::array();
  for (const auto& p : xs)
    out.push_back(port_json(p, view));
  return out;
}

oj endpoint_spec_json(const pb::EndpointSpec& e, bool set, go_view view) {
  go_struct out{view};
  if (set)
    out.opt("Mode", e.mode() == pb::EndpointSpec::DNSRR ? "dnsrr" : "vip");
  else
    out.opt("Mode", "");
  out.opt("Ports", ports_json(e.ports(), view));
  return out.done();
}

oj endpoint_json(const pb::Service& s, go_view view) {
  const auto& e = s.endpoint();
  auto vips = oj::array();
  for (const auto& v : e.virtual_ips()) {
    go_struct x{view};
    x.opt("NetworkID", v.network_id());
    x.opt("Addr", v.addr());
    vips.push_back(x.done());
  }
  go_struct out{view};
  out.req("Spec", endpoint_spec_json(e.spec(), s.has_endpoint(), view));
  out.opt("Ports", ports_json(e.ports(), view));
  out.opt("VirtualIPs", std::move(vips));
  return out.done();
}

oj update_status_json(const pb::Service& s, go_view view) {
  if (!s.has_update_status())
    return nullptr;
  const auto& u = s.update_status();
  auto state = pb::UpdateStatus::State_Name(u.state());
  for (auto& c : state)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto when = [](int64_t ns) {
    return ns == 0 ? oj(nullptr) : oj(go_time(ns));
  };
  go_struct out{view};
  out.opt("State", u.state() == pb::UpdateStatus::UNKNOWN ? "" : state);
  out.ptr("StartedAt", when(u.started_at_ns()));
  out.ptr("CompletedAt", when(u.completed_at_ns()));
  out.opt("Message", u.message());
  return out.done();
}

} // namespace

nlohmann::ordered_json service_spec_json(const pb::ServiceSpec& s,
                                         go_view view) {
  go_struct out{view};
  out.opt("Name", s.name());
  out.req("Labels", string_map(s.labels()));
  out.req("TaskTemplate", task_json(s, view));
  out.req("Mode", mode_json(s, view));
  out.ptr("UpdateConfig", update_config_json(s.has_update(), s.update(), view));
  out.ptr("RollbackConfig",
          update_config_json(s.has_rollback(), s.rollback(), view));
  out.ptr("EndpointSpec", endpoint_spec_json(s.endpoint(), true, view));
  return out.done();
}

nlohmann::ordered_json service_json(const pb::Service& s, go_view view) {
  go_struct out{view};
  out.req("ID", s.id());
  out.req("Version", version(s.meta().version(), view));
  out.req("CreatedAt", go_time(s.meta().created_at_ns()));
  out.req("UpdatedAt", go_time(s.meta().updated_at_ns()));
  out.req("Spec", service_spec_json(s.spec(), view));
  out.ptr("PreviousSpec", s.has_previous_spec()
                            ? service_spec_json(s.previous_spec(), view)
                            : oj(nullptr));
  out.req("Endpoint", endpoint_json(s, view));
  out.ptr("UpdateStatus", update_status_json(s, view));
  return out.done();
}

} // namespace actorswarm::cli::output
