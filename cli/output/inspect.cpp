// `inspect` output of cli/output/views.hpp: JSON and docker's --pretty text.

#include "cli/output/views.hpp"

#include "cli/output/docker_json.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli::output {

namespace {

std::string join(const google::protobuf::RepeatedPtrField<std::string>& xs,
                 const std::string& sep) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : sep) + x;
  return out;
}

// Docker: ` - k=v` under a node, ` k=v` under a service; `=v` only when v
// is not empty.
void add_labels(std::string& out, const std::string& bullet,
                const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  for (const auto& [k, v] : sorted)
    out += bullet + k + (v.empty() ? "" : "=" + v) + "\n";
}

// Go's `{{ range $x := .Xs }}{{ $x }} {{ end }}`: every item then a space.
std::string spaced(const google::protobuf::RepeatedPtrField<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += x + " ";
  return out;
}

void add_resources(std::string& out, const pb::ResourceRequirements& r) {
  auto section = [&](const char* name, const pb::Resources& x) {
    if (x.nano_cpus() == 0 && x.memory_bytes() == 0)
      return;
    out += std::string{" "} + name + ":\n";
    if (x.nano_cpus() != 0)
      out += "  CPU:\t\t" + format_nano_cpus(x.nano_cpus()) + "\n";
    if (x.memory_bytes() != 0)
      out += "  Memory:\t" + format_bytes(x.memory_bytes()) + "\n";
  };
  if (!r.has_limits() && !r.has_reservations())
    return;
  out += "Resources:\n";
  section("Reservations", r.reservations());
  section("Limits", r.limits());
}

// Docker's Mounts block, after Capabilities and before Resources.
void add_mounts(std::string& out, const pb::ContainerSpec& c) {
  if (c.mounts().empty())
    return;
  out += "Mounts:\n";
  for (const auto& m : c.mounts())
    out += " Target:\t" + m.target() + "\n  Source:\t" + m.source()
           + "\n  ReadOnly:\t" + (m.read_only() ? "true" : "false")
           + "\n  Type:\t\t"
           + (m.type() == pb::Mount::VOLUME ? "volume" : "bind") + "\n";
}

} // namespace

inspect_object inspect_view(const pb::Service& s) {
  return {service_json(s), service_json(s, go_view::typed)};
}

inspect_object inspect_view(const pb::Node& n) {
  return {node_json(n), node_json(n, go_view::typed)};
}

std::string
service_pretty(const pb::Service& s,
               const std::map<std::string, std::string>& network_names,
               int64_t now_ns) {
  const auto& spec = s.spec();
  const auto& task = spec.task();
  std::string out = "\nID:\t\t" + s.id() + "\nName:\t\t" + spec.name() + "\n";
  if (!spec.labels().empty()) {
    out += "Labels:\n";
    add_labels(out, " ", spec.labels());
  }
  if (spec.mode() == pb::ServiceSpec::GLOBAL) {
    out += "Service Mode:\tGlobal\n";
  } else {
    out += "Service Mode:\tReplicated\n";
    if (spec.replicas() != 0)
      out += " Replicas:\t" + std::to_string(spec.replicas()) + "\n";
  }
  out += update_status_pretty(s, now_ns);
  const auto& pl = task.placement();
  out += "Placement:\n";
  if (!pl.constraints().empty())
    out += " Constraints:\t[" + join(pl.constraints(), " ") + "]\n";
  if (!pl.spread_preferences().empty()) {
    std::string prefs;
    for (const auto& p : pl.spread_preferences())
      prefs += (prefs.empty() ? "spread=" : " spread=") + p;
    out += " Preferences:\t[" + prefs + "]\n";
  }
  if (pl.max_replicas() > 0)
    out += " Max Replicas Per Node:\t" + std::to_string(pl.max_replicas())
           + "\n";
  out += update_config_pretty(spec);
  const auto& rp = task.restart();
  out += "RestartPolicy:\n Condition:\t"
         + pretty_enum(pb::RestartPolicy::Condition_Name(rp.condition()))
         + "\n Delay:\t\t" + format_duration(rp.delay_ns())
         + "\n Max Attempts:\t" + std::to_string(rp.max_attempts())
         + "\n Window:\t" + format_duration(rp.window_ns()) + "\n";
  const auto& c = task.container();
  out += "ContainerSpec:\n Image:\t\t" + c.image() + "\n";
  if (!c.command().empty())
    out += " Args:\t\t" + spaced(c.command()) + "\n";
  if (!c.env().empty())
    out += " Env:\t\t" + spaced(c.env()) + "\n";
  if (!c.dir().empty())
    out += " Dir:\t\t" + c.dir() + "\n";
  if (!c.user().empty())
    out += " User: " + c.user() + "\n";
  // Docker's template: the lists joined with ", ".
  if (!c.capability_add().empty() || !c.capability_drop().empty()) {
    out += "Capabilities:\n";
    if (!c.capability_add().empty())
      out += " Add: " + join(c.capability_add(), ", ") + "\n";
    if (!c.capability_drop().empty())
      out += " Drop: " + join(c.capability_drop(), ", ") + "\n";
  }
  add_mounts(out, c);
  add_resources(out, task.resources());
  return out + service_networking_pretty(s, network_names);
}

std::string node_pretty(const pb::Node& n) {
  std::string out = "ID:\t\t\t" + n.id() + "\n";
  if (!n.spec().labels().empty()) {
    out += "Labels:\n";
    add_labels(out, " - ", n.spec().labels());
  }
  out += "Hostname:\t\t" + n.description().hostname() + "\n";
  out += "Joined at:\t\t" + format_time_utc(n.meta().created_at_ns()) + "\n";
  out += "Status:\n State:\t\t\t"
         + pretty_enum(pb::NodeStatus::State_Name(n.status().state()))
         + "\n Availability:\t\t"
         + pretty_enum(pb::NodeSpec::Availability_Name(n.spec().availability()))
         + "\n Address:\t\t" + n.status().addr() + "\n";
  if (n.has_manager_status()) {
    const auto& ms = n.manager_status();
    out
      += "Manager Status:\n Address:\t\t" + ms.addr() + "\n Raft Status:\t\t"
         + pretty_enum(pb::ManagerStatus::Reachability_Name(ms.reachability()))
         + "\n Leader:\t\t" + (ms.leader() ? "Yes" : "No") + "\n";
  }
  const auto& d = n.description();
  out += "Platform:\n Operating System:\t" + d.os() + "\n Architecture:\t\t"
         + d.architecture() + "\nResources:\n CPUs:\t\t\t"
         + format_nano_cpus(d.resources().nano_cpus()) + "\n Memory:\t\t"
         + format_bytes(d.resources().memory_bytes()) + "\n";
  if (!d.engine_labels().empty()) {
    out += "Engine Labels:\n";
    add_labels(out, " - ", d.engine_labels());
  }
  out += "Engine Version:\t\t" + d.engine_version() + "\n";
  return out;
}

} // namespace actorswarm::cli::output
