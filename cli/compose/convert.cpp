#include "cli/compose/convert.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "messages/defaults.hpp"

namespace actorswarm::cli::compose {

namespace {

// docker's EffectiveCapAddCapDrop, as cli/service_spec.cpp's effective_caps
// (which lives in the CLI component; compose builds without it): names
// upper case with CAP_, each once, sorted; ALL alone; added wins over
// dropped.
std::string cap_name(std::string x) {
  auto lo = x.find_first_not_of(" \t\n\r");
  auto hi = x.find_last_not_of(" \t\n\r");
  x = lo == std::string::npos ? "" : x.substr(lo, hi - lo + 1);
  for (auto& c : x)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (x == "ALL" || x == "RESET" || x.rfind("CAP_", 0) == 0)
    return x;
  return "CAP_" + x;
}

void caps(const std::vector<std::string>& add,
          const std::vector<std::string>& drop, pb::ContainerSpec& c) {
  auto norm = [](const std::vector<std::string>& xs) {
    std::set<std::string> out;
    for (auto& x : xs)
      out.insert(cap_name(x));
    if (out.count("ALL") != 0)
      out = {"ALL"};
    return out;
  };
  auto adds = norm(add);
  auto drops = norm(drop);
  for (auto& x : adds) {
    drops.erase(x);
    c.add_capability_add(x);
  }
  for (auto& x : drops)
    c.add_capability_drop(x);
}

failure bad(const std::string& where, const std::string& msg) {
  return fail(errc::invalid_spec, where + ": " + msg);
}

pb::UpdateConfig to_update(const update_config& u) {
  pb::UpdateConfig out;
  out.set_parallelism(u.parallelism.value_or(1));
  out.set_delay_ns(u.delay_ns);
  out.set_monitor_ns(u.monitor_ns);
  out.set_max_failure_ratio(static_cast<float>(u.max_failure_ratio));
  if (u.failure_action == "continue")
    out.set_failure_action(pb::UpdateConfig::CONTINUE);
  else if (u.failure_action == "rollback")
    out.set_failure_action(pb::UpdateConfig::ROLLBACK);
  if (u.order == "start-first")
    out.set_order(pb::UpdateConfig::START_FIRST);
  return out;
}

void to_deploy(const deploy_config& d, pb::ServiceSpec& spec) {
  auto* task = spec.mutable_task();
  if (d.mode == std::optional<std::string>{"global"}) {
    spec.set_mode(pb::ServiceSpec::GLOBAL);
  } else {
    spec.set_mode(pb::ServiceSpec::REPLICATED);
    spec.set_replicas(d.replicas.value_or(1));
  }
  auto* res = task->mutable_resources();
  if (d.limit_nano_cpus || d.limit_memory_bytes) {
    res->mutable_limits()->set_nano_cpus(d.limit_nano_cpus.value_or(0));
    res->mutable_limits()->set_memory_bytes(d.limit_memory_bytes.value_or(0));
  }
  if (d.reserve_nano_cpus || d.reserve_memory_bytes) {
    res->mutable_reservations()->set_nano_cpus(d.reserve_nano_cpus.value_or(0));
    res->mutable_reservations()->set_memory_bytes(
      d.reserve_memory_bytes.value_or(0));
  }
  // `service create`'s defaults; the file's fields override them.
  auto* rp = task->mutable_restart();
  rp->set_condition(pb::RestartPolicy::ANY);
  rp->set_delay_ns(cluster_defaults::restart_delay_ns);
  if (d.restart) {
    auto& c = d.restart->condition;
    if (c == std::optional<std::string>{"none"})
      rp->set_condition(pb::RestartPolicy::NONE);
    else if (c == std::optional<std::string>{"on-failure"})
      rp->set_condition(pb::RestartPolicy::ON_FAILURE);
    rp->set_delay_ns(d.restart->delay_ns.value_or(rp->delay_ns()));
    rp->set_max_attempts(d.restart->max_attempts.value_or(0));
    rp->set_window_ns(d.restart->window_ns.value_or(0));
  }
  auto* pl = task->mutable_placement();
  for (auto& c : d.constraints)
    pl->add_constraints(c);
  for (auto& p : d.preferences)
    pl->add_spread_preferences(p);
  pl->set_max_replicas(d.max_replicas_per_node.value_or(0));
  if (d.update)
    *spec.mutable_update() = to_update(*d.update);
  if (d.rollback)
    *spec.mutable_rollback() = to_update(*d.rollback);
  if (d.endpoint_mode == std::optional<std::string>{"dnsrr"})
    spec.mutable_endpoint()->set_mode(pb::EndpointSpec::DNSRR);
}

void to_healthcheck(const healthcheck_config& h, pb::HealthConfig& out) {
  if (h.disable) {
    out.add_test("NONE");
    return;
  }
  for (auto& x : h.test)
    out.add_test(x);
  out.set_interval_ns(h.interval_ns.value_or(0));
  out.set_timeout_ns(h.timeout_ns.value_or(0));
  out.set_start_period_ns(h.start_period_ns.value_or(0));
  out.set_retries(static_cast<uint32_t>(h.retries.value_or(0)));
}

// docker's convert.Volumes: binds as given, named volumes scoped.
result<pb::Mount> to_mount(const service_config& s, const service_volume& v,
                           const config& c, const std::string& stack) {
  pb::Mount m;
  m.set_target(v.target);
  m.set_read_only(v.read_only);
  if (v.type == "bind") {
    m.set_type(pb::Mount::BIND);
    m.set_source(v.source);
    return m;
  }
  auto vol = c.volumes.find(v.source);
  if (vol == c.volumes.end())
    return bad(v.where,
               "service " + s.name + ": undefined volume \"" + v.source + "\"");
  m.set_type(pb::Mount::VOLUME);
  m.set_source(vol->second.name.empty() ? scope(stack, v.source)
                                        : vol->second.name);
  return m;
}

status to_networks(const service_config& s, const config& c,
                   const std::string& stack, pb::ServiceSpec& spec) {
  auto nets = s.networks;
  if (nets.empty())
    nets["default"] = service_network{{}, s.where};
  std::vector<pb::NetworkAttachmentConfig> out;
  for (auto& [name, n] : nets) {
    auto def = c.networks.find(name);
    if (def == c.networks.end() && name != "default")
      return bad(n.where,
                 "service " + s.name + ": undefined network \"" + name + "\"");
    pb::NetworkAttachmentConfig a;
    bool named = def != c.networks.end() && !def->second.name.empty();
    a.set_target(named ? def->second.name : scope(stack, name));
    for (auto& x : n.aliases)
      a.add_aliases(x);
    // docker adds the service's own name as an alias on its networks, so
    // `web` resolves inside the stack.
    a.add_aliases(s.name);
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(),
            [](auto& a, auto& b) { return a.target() < b.target(); });
  for (auto& a : out)
    *spec.add_networks() = std::move(a);
  return ok_status();
}

void to_ports(const service_config& s, pb::EndpointSpec& ep) {
  auto ports = s.ports;
  std::sort(ports.begin(), ports.end(), [](auto& a, auto& b) {
    return std::tie(a.target, a.published, a.protocol, a.mode)
           < std::tie(b.target, b.published, b.protocol, b.mode);
  });
  for (auto& p : ports) {
    auto* x = ep.add_ports();
    x->set_target_port(p.target);
    x->set_published_port(p.published);
    x->set_protocol(p.protocol == "udp" ? pb::PortConfig::UDP
                                        : pb::PortConfig::TCP);
    x->set_publish_mode(p.mode == "host" ? pb::PortConfig::HOST
                                         : pb::PortConfig::INGRESS);
  }
}

status to_container(const service_config& s, pb::ContainerSpec& ct) {
  if (!s.image || s.image->empty())
    return bad(s.where, "invalid image reference for service " + s.name
                          + ": no image specified");
  // The daemon's words (control/service_rules.cpp), before anything is sent.
  if (*s.image != "host")
    return bad(s.where, "service " + s.name + ": image \"" + *s.image
                          + "\" cannot run: this node has no container "
                            "runtime yet; use the image \"host\" to run a "
                            "host process");
  ct.set_image(*s.image);
  for (auto* part : {&s.entrypoint, &s.command})
    if (*part)
      for (auto& x : **part)
        ct.add_command(x);
  if (ct.command().empty())
    return bad(s.where, "service " + s.name
                          + ": the host image needs a command to run "
                            "(command or entrypoint)");
  for (auto& [k, v] : s.environment)
    if (v)
      ct.add_env(k + "=" + *v);
  ct.set_dir(s.working_dir.value_or(""));
  ct.set_user(s.user.value_or(""));
  ct.set_hostname(s.hostname.value_or(""));
  ct.set_stop_grace_period_ns(
    s.stop_grace_period_ns.value_or(cluster_defaults::stop_grace_ns));
  caps(s.cap_add, s.cap_drop, ct);
  if (s.healthcheck)
    to_healthcheck(*s.healthcheck, *ct.mutable_healthcheck());
  return ok_status();
}

result<pb::ServiceSpec> to_service(const service_config& s, const config& c,
                                   const std::string& stack) {
  pb::ServiceSpec spec;
  spec.set_name(scope(stack, s.name));
  auto* ct = spec.mutable_task()->mutable_container();
  if (auto st = to_container(s, *ct); !st)
    return st.error();
  for (auto& [k, v] : s.labels)
    (*ct->mutable_labels())[k] = v;
  (*ct->mutable_labels())[label_namespace] = stack;
  for (auto& v : s.volumes) {
    auto m = to_mount(s, v, c, stack);
    if (!m)
      return m.error();
    *ct->add_mounts() = std::move(*m);
  }
  to_deploy(s.deploy, spec);
  for (auto& [k, v] : s.deploy.labels)
    (*spec.mutable_labels())[k] = v;
  (*spec.mutable_labels())[label_namespace] = stack;
  (*spec.mutable_labels())[label_image] = *s.image;
  if (auto st = to_networks(s, c, stack, spec); !st)
    return st.error();
  to_ports(s, *spec.mutable_endpoint());
  return spec;
}

} // namespace

std::string scope(const std::string& stack, const std::string& name) {
  return stack + "_" + name;
}

result<stack_objects> convert(const config& c, const std::string& stack) {
  stack_objects out;
  std::set<std::string> used;
  for (auto& s : c.services) {
    auto spec = to_service(s, c, stack);
    if (!spec)
      return spec.error();
    out.services.push_back(std::move(*spec));
    if (s.networks.empty())
      used.insert("default");
    for (auto& [name, n] : s.networks)
      used.insert(name);
  }
  for (auto& name : used) {
    auto def = c.networks.find(name);
    network_config n = def == c.networks.end() ? network_config{} : def->second;
    auto full = n.name.empty() ? scope(stack, name) : n.name;
    if (n.external) {
      out.external_networks.push_back(full);
      continue;
    }
    pb::NetworkSpec spec;
    spec.set_name(full);
    spec.set_driver("overlay");
    spec.set_internal(n.internal);
    for (auto& [k, v] : n.labels)
      (*spec.mutable_labels())[k] = v;
    (*spec.mutable_labels())[label_namespace] = stack;
    if (!n.subnet.empty())
      spec.mutable_ipam()->set_subnet(n.subnet);
    out.networks.push_back(std::move(spec));
  }
  std::sort(out.networks.begin(), out.networks.end(),
            [](auto& a, auto& b) { return a.name() < b.name(); });
  return out;
}

} // namespace actorswarm::cli::compose
