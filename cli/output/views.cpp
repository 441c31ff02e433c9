#include "cli/output/views.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "cli/network_spec.hpp"
#include "cli/units.hpp"
#include "messages/ids.hpp"

namespace actorswarm::cli::output {

namespace {

// Docker's table (minus TLSStatus): `{{.ID}} {{if .Self}}*{{else}} {{end}}`.
std::string node_id_cell(const nlohmann::json& row) {
  return value_text(row.at("ID")) + (row.at("Self").get<bool>() ? " *" : "  ");
}

std::string manager_status(const pb::Node& n) {
  if (n.role() != pb::NodeSpec::MANAGER && !n.has_manager_status())
    return "";
  const auto& ms = n.manager_status();
  if (ms.leader())
    return "Leader";
  switch (ms.reachability()) {
    case pb::ManagerStatus::REACHABLE:
      return "Reachable";
    case pb::ManagerStatus::UNREACHABLE:
      return "Unreachable";
    default:
      return "Unknown";
  }
}

std::string task_name(const pb::Task& t) {
  return t.service_name() + "."
         + (t.slot() != 0 ? std::to_string(t.slot()) : t.node_id());
}

} // namespace

std::string short_id(const std::string& id) {
  return id.substr(0, id_short_length);
}

std::string pretty_enum(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i] == '_' ? '-' : name[i];
    out += i == 0 ? c : static_cast<char>(std::tolower(c));
  }
  return out;
}

listing node_listing(const std::vector<pb::Node>& nodes,
                     const std::string& self_id) {
  listing l;
  l.columns = {{"ID", "ID", node_id_cell},
               {"Hostname", "HOSTNAME", nullptr},
               {"Status", "STATUS", nullptr},
               {"Availability", "AVAILABILITY", nullptr},
               {"ManagerStatus", "MANAGER STATUS", nullptr},
               {"EngineVersion", "ENGINE VERSION", nullptr}};
  std::vector<const pb::Node*> sorted;
  for (const auto& n : nodes)
    sorted.push_back(&n);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return a->description().hostname() < b->description().hostname();
  });
  for (const auto* n : sorted) {
    l.rows.push_back({
      {"ID", n->id()},
      {"Self", n->id() == self_id},
      {"Hostname", n->description().hostname()},
      {"Status", pretty_enum(pb::NodeStatus::State_Name(n->status().state()))},
      {"Availability",
       pretty_enum(pb::NodeSpec::Availability_Name(n->spec().availability()))},
      {"ManagerStatus", manager_status(*n)},
      {"EngineVersion", n->description().engine_version()},
    });
  }
  return l;
}

listing service_listing(const std::vector<pb::ServiceEntry>& services) {
  listing l;
  l.columns = {{"ID", "ID", nullptr},       {"Name", "NAME", nullptr},
               {"Mode", "MODE", nullptr},   {"Replicas", "REPLICAS", nullptr},
               {"Image", "IMAGE", nullptr}, {"Ports", "PORTS", nullptr}};
  std::vector<const pb::ServiceEntry*> sorted;
  for (const auto& s : services)
    sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return a->service().spec().name() < b->service().spec().name();
  });
  for (const auto* e : sorted) {
    const auto& spec = e->service().spec();
    auto replicas = std::to_string(e->running()) + "/"
                    + std::to_string(e->desired());
    auto max = spec.task().placement().max_replicas();
    if (max > 0)
      replicas += " (max " + std::to_string(max) + " per node)";
    bool global = spec.mode() == pb::ServiceSpec::GLOBAL;
    l.rows.push_back({{"ID", short_id(e->service().id())},
                      {"Name", spec.name()},
                      {"Mode", global ? "global" : "replicated"},
                      {"Replicas", replicas},
                      {"Image", spec.task().container().image()},
                      {"Ports", ports_text(service_ports(e->service()))}});
  }
  return l;
}

std::string ellipsis(const std::string& text, size_t max_width) {
  std::vector<std::string> runes;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80 && !runes.empty())
      runes.back() += text[i];
    else
      runes.emplace_back(1, text[i]);
  }
  if (runes.size() <= max_width || max_width == 0)
    return text;
  std::string out;
  for (size_t i = 0; i + 1 < max_width; ++i)
    out += runes[i];
  return out + "\xE2\x80\xA6";
}

std::string task_current_state(const pb::TaskStatus& status, int64_t now_ns) {
  auto ago = human_duration(now_ns - status.timestamp_ns());
  ago[0] = static_cast<char>(std::tolower(ago[0]));
  auto text = pretty_enum(pb::TaskState_Name(status.state())) + " " + ago
              + " ago";
  // docker ps's health suffix ("Up 5 seconds (healthy)"), while running.
  if (status.state() != pb::RUNNING)
    return text;
  switch (status.health()) {
    case pb::TaskStatus::STARTING:
      return text + " (health: starting)";
    case pb::TaskStatus::HEALTHY:
      return text + " (healthy)";
    case pb::TaskStatus::UNHEALTHY:
      return text + " (unhealthy)";
    default:
      return text;
  }
}

listing task_listing(std::vector<pb::Task> tasks,
                     const std::map<std::string, std::string>& node_names,
                     int64_t now_ns, bool no_trunc) {
  // Docker: by name (service.slot), then newest first.
  std::stable_sort(
    tasks.begin(), tasks.end(), [](const auto& a, const auto& b) {
      auto ka = std::make_tuple(a.service_name(), a.slot(), a.node_id());
      auto kb = std::make_tuple(b.service_name(), b.slot(), b.node_id());
      if (ka != kb)
        return ka < kb;
      return a.meta().created_at_ns() > b.meta().created_at_ns();
    });
  listing l;
  l.columns = {{"ID", "ID", nullptr},
               {"Name", "NAME", nullptr},
               {"Image", "IMAGE", nullptr},
               {"Node", "NODE", nullptr},
               {"DesiredState", "DESIRED STATE", nullptr},
               {"CurrentState", "CURRENT STATE", nullptr},
               {"Error", "ERROR", nullptr},
               {"Ports", "PORTS", nullptr}};
  std::string prev;
  for (const auto& t : tasks) {
    auto name = task_name(t);
    auto shown = name == prev ? " \\_ " + name : name;
    prev = name;
    auto node = node_names.find(t.node_id());
    auto err = no_trunc ? t.status().err() : ellipsis(t.status().err(), 30);
    l.rows.push_back({
      {"ID", no_trunc ? t.id() : short_id(t.id())},
      {"Name", shown},
      {"Image", t.spec().container().image()},
      {"Node", node != node_names.end() ? node->second : t.node_id()},
      {"DesiredState", pretty_enum(pb::TaskState_Name(t.desired_state()))},
      {"CurrentState", task_current_state(t.status(), now_ns)},
      {"Error", err.empty() ? "" : "\"" + err + "\""},
      {"Ports", ""},
    });
  }
  return l;
}

} // namespace actorswarm::cli::output
