// `network ls|inspect` and the networking part of `service inspect
// --pretty` (cli/output/views.hpp).

#include <algorithm>
#include <ctime>

#include "cli/network_spec.hpp"
#include "cli/output/views.hpp"

namespace actorswarm::cli::output {

namespace {

constexpr int64_t ns_per_s = 1'000'000'000;

std::string protocol_text(pb::PortConfig::Protocol p) {
  return p == pb::PortConfig::UDP ? "udp" : "tcp";
}

std::string mode_text(pb::PortConfig::PublishMode m) {
  return m == pb::PortConfig::HOST ? "host" : "ingress";
}

} // namespace

std::string rfc3339_nano(int64_t unix_ns) {
  auto secs = static_cast<std::time_t>(unix_ns / ns_per_s);
  auto frac = unix_ns % ns_per_s;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    auto digits = std::to_string(frac);
    digits = std::string(9 - digits.size(), '0') + digits;
    digits.erase(digits.find_last_not_of('0') + 1);
    out += "." + digits;
  }
  return out + "Z";
}

listing network_listing(const std::vector<pb::Network>& networks) {
  listing l;
  l.columns = {{"ID", "NETWORK ID", nullptr},
               {"Name", "NAME", nullptr},
               {"Driver", "DRIVER", nullptr},
               {"Scope", "SCOPE", nullptr}};
  std::vector<const pb::Network*> sorted;
  for (const auto& n : networks)
    sorted.push_back(&n);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return a->spec().name() < b->spec().name();
  });
  for (const auto* n : sorted)
    l.rows.push_back({{"ID", short_id(n->id())},
                      {"Name", n->spec().name()},
                      {"Driver", n->spec().driver()},
                      {"Scope", "swarm"}});
  return l;
}

nlohmann::ordered_json network_json(const pb::Network& n) {
  using oj = nlohmann::ordered_json;
  const auto& spec = n.spec();
  const auto& ipam = n.ipam().subnet().empty() ? spec.ipam() : n.ipam();
  auto config = oj::array();
  if (!ipam.subnet().empty()) {
    oj c{{"Subnet", ipam.subnet()}};
    if (!ipam.gateway().empty())
      c["Gateway"] = ipam.gateway();
    config.push_back(std::move(c));
  }
  auto options = oj::object();
  if (n.vni() != 0)
    options["com.docker.network.driver.overlay.vxlanid_list"]
      = std::to_string(n.vni());
  std::map<std::string, std::string> sorted(spec.labels().begin(),
                                            spec.labels().end());
  // moby's network.Inspect, in its order; Containers is null in a swarm
  // scoped answer (docker asks the manager, not a node).
  oj out = oj::object();
  out["Name"] = spec.name();
  out["Id"] = n.id();
  out["Created"] = rfc3339_nano(n.meta().created_at_ns());
  out["Scope"] = "swarm";
  out["Driver"] = spec.driver();
  out["EnableIPv6"] = false;
  out["IPAM"]
    = {{"Driver", "default"}, {"Options", nullptr}, {"Config", config}};
  out["Internal"] = spec.internal();
  out["Attachable"] = false;
  out["Ingress"] = spec.ingress();
  out["ConfigFrom"] = {{"Network", ""}};
  out["ConfigOnly"] = false;
  out["Containers"] = nullptr;
  out["Options"] = options;
  out["Labels"] = oj(sorted);
  return out;
}

std::string service_networking_pretty(
  const pb::Service& s,
  const std::map<std::string, std::string>& network_names) {
  std::string out;
  const auto& spec = s.spec();
  if (!spec.networks().empty()) {
    out += "Networks:";
    for (const auto& a : spec.networks()) {
      auto i = network_names.find(a.target());
      out += " " + (i != network_names.end() ? i->second : a.target());
    }
    out += " \n";
  }
  out += std::string{"Endpoint Mode:\t"}
         + (spec.endpoint().mode() == pb::EndpointSpec::DNSRR ? "dnsrr" : "vip")
         + "\n";
  const auto& ports = service_ports(s);
  if (!ports.empty()) {
    out += "Ports:\n";
    for (const auto& p : ports)
      out += " PublishedPort = " + std::to_string(p.published_port())
             + "\n  Protocol = " + protocol_text(p.protocol())
             + "\n  TargetPort = " + std::to_string(p.target_port())
             + "\n  PublishMode = " + mode_text(p.publish_mode()) + "\n";
  }
  return out;
}

} // namespace actorswarm::cli::output
