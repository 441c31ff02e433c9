#include "actors/control/network_rules.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>
#include <vector>

#include "messages/defaults.hpp"
#include "messages/docker_text.hpp"
#include "messages/ids.hpp"

namespace actorswarm::control {

namespace {

constexpr size_t name_size_max = 63;
constexpr uint32_t port_max = 65535;
constexpr uint32_t subnet_size_max = 29;
constexpr uint32_t data_path_port_min = 1024;
constexpr uint32_t data_path_port_max = 49151;

status invalid(std::string msg) {
  return fail(errc::invalid_spec, std::move(msg));
}

status invalid_argument(const std::string& desc) {
  return invalid(docker_text::rpc_error("InvalidArgument", desc));
}

bool valid_name(const std::string& x) {
  if (x.empty() || x.size() > name_size_max
      || !std::isalnum(static_cast<unsigned char>(x[0])))
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
           || c == '.';
  });
}

uint32_t mask_of(uint32_t len) {
  return len == 0 ? 0 : ~uint32_t{0} << (32 - len);
}

// The subnets `net` holds: the one it asked for and the one allocated.
std::vector<ipv4_prefix> subnets_of(const pb::Network& net) {
  std::vector<ipv4_prefix> out;
  for (auto* x : {&net.spec().ipam().subnet(), &net.ipam().subnet()})
    if (auto p = parse_cidr(*x))
      out.push_back(*p);
  return out;
}

// SwarmKit's validateEndpointSpec plus the port ranges the CLI checks.
status validate_endpoint(const pb::EndpointSpec& ep) {
  std::set<std::pair<uint32_t, int>> published;
  for (auto& p : ep.ports()) {
    if (p.target_port() == 0 || p.target_port() > port_max)
      return invalid("invalid target port " + std::to_string(p.target_port())
                     + ": ports are 1-65535");
    if (p.published_port() > port_max)
      return invalid("invalid published port "
                     + std::to_string(p.published_port())
                     + ": ports are 1-65535");
    if (ep.mode() == pb::EndpointSpec::DNSRR
        && p.publish_mode() == pb::PortConfig::INGRESS)
      return invalid_argument("EndpointSpec: port published with ingress mode "
                              "can't be used with dnsrr mode");
    if (p.published_port() == 0)
      continue;
    if (!published.emplace(p.published_port(), p.protocol()).second)
      return invalid_argument(
        "EndpointSpec: duplicate published ports provided");
  }
  return ok_status();
}

// SwarmKit's checkPortConflicts: an ingress port conflicts with any port of
// the same number and protocol; host-mode ports conflict only with ingress
// ones (the scheduler keeps host-mode services apart).
status check_port_conflicts(const store::object_store& view,
                            const pb::ServiceSpec& spec,
                            const std::string& service_id) {
  using key = std::pair<uint32_t, int>;
  std::set<key> ingress, host;
  for (auto& p : spec.endpoint().ports()) {
    if (p.published_port() == 0)
      continue;
    auto& xs = p.publish_mode() == pb::PortConfig::HOST ? host : ingress;
    xs.emplace(p.published_port(), p.protocol());
  }
  if (ingress.empty() && host.empty())
    return ok_status();
  auto in_use = [&](const pb::PortConfig& p, const pb::Service& s) -> status {
    if (p.published_port() == 0)
      return ok_status();
    key k{p.published_port(), p.protocol()};
    bool host_mode = p.publish_mode() == pb::PortConfig::HOST;
    if (ingress.count(k) != 0 || (!host_mode && host.count(k) != 0))
      return invalid(docker_text::port_in_use(p.published_port(),
                                              s.spec().name(), s.id(),
                                              host_mode));
    return ok_status();
  };
  // In id order, so the answer does not depend on the table's order.
  std::vector<const pb::Service*> xs;
  for (auto& [id, s] : view.services())
    if (s->id() != service_id)
      xs.push_back(s.get());
  std::sort(xs.begin(), xs.end(),
            [](auto a, auto b) { return a->id() < b->id(); });
  for (auto* s : xs) {
    for (auto& p : s->spec().endpoint().ports())
      if (auto r = in_use(p, *s); !r)
        return r;
    for (auto& p : s->endpoint().ports())
      if (auto r = in_use(p, *s); !r)
        return r;
  }
  return ok_status();
}

// The attachments' targets as network ids, each once.
status resolve_attachments(const store::object_store& view,
                           pb::ServiceSpec& spec) {
  std::set<std::string> seen;
  for (auto& a : *spec.mutable_networks()) {
    auto net = find_network(view, a.target());
    if (!net)
      return fail(errc::not_found, docker_text::network_not_found(a.target()));
    if ((*net)->spec().ingress())
      return invalid(docker_text::ingress_explicit((*net)->spec().name()));
    if (!seen.insert((*net)->id()).second)
      return invalid_argument("duplicate network attachment: network "
                              + (*net)->spec().name() + " is named twice");
    a.set_target((*net)->id());
  }
  return ok_status();
}

} // namespace

// -- IPv4 text ---------------------------------------------------------------

std::optional<uint32_t> parse_ipv4(const std::string& x) {
  uint32_t out = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= x.size() || x[i] != '.')
        return std::nullopt;
      ++i;
    }
    size_t start = i;
    uint32_t v = 0;
    while (i < x.size() && i - start < 4
           && std::isdigit(static_cast<unsigned char>(x[i])))
      v = v * 10 + static_cast<uint32_t>(x[i++] - '0');
    // No empty part, no leading zero (Go refuses "010"), at most 255.
    if (i == start || i - start > 3 || v > 255
        || (x[start] == '0' && i - start > 1))
      return std::nullopt;
    out = (out << 8) | v;
  }
  if (i != x.size())
    return std::nullopt;
  return out;
}

std::optional<ipv4_prefix> parse_cidr(const std::string& x) {
  auto slash = x.find('/');
  if (slash == std::string::npos || slash + 1 == x.size()
      || x.size() - slash > 3)
    return std::nullopt;
  auto addr = parse_ipv4(x.substr(0, slash));
  if (!addr)
    return std::nullopt;
  uint32_t len = 0;
  for (size_t i = slash + 1; i < x.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(x[i])))
      return std::nullopt;
    len = len * 10 + static_cast<uint32_t>(x[i] - '0');
  }
  if (len > 32 || (x[slash + 1] == '0' && x.size() - slash > 2))
    return std::nullopt;
  return ipv4_prefix{*addr & mask_of(len), len};
}

std::string to_string(const ipv4_prefix& p) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((p.addr >> shift) & 0xff);
    out += shift == 0 ? '/' : '.';
  }
  return out + std::to_string(p.len);
}

bool contains(const ipv4_prefix& p, uint32_t a) {
  return (a & mask_of(p.len)) == p.addr;
}

bool overlaps(const ipv4_prefix& a, const ipv4_prefix& b) {
  auto len = std::min(a.len, b.len);
  return (a.addr & mask_of(len)) == (b.addr & mask_of(len));
}

// -- networks ----------------------------------------------------------------

status validate_network_spec(pb::NetworkSpec& spec) {
  auto& name = spec.name();
  if (name == "bridge" || name == "host" || name == "none")
    return invalid(docker_text::predefined_network(name));
  if (!valid_name(name))
    return invalid("invalid network name \"" + name
                   + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, up to "
                     "63 characters");
  if (spec.driver().empty())
    spec.set_driver("overlay");
  if (spec.driver() != "overlay")
    return invalid("network driver \"" + spec.driver()
                   + "\" is not supported: a swarm has only overlay networks "
                     "(use -d overlay)");
  auto& ipam = spec.ipam();
  if (ipam.subnet().empty()) {
    if (!ipam.gateway().empty())
      return invalid_argument("ipam configuration: gateway " + ipam.gateway()
                              + " needs a --subnet");
    return ok_status();
  }
  auto subnet = parse_cidr(ipam.subnet());
  if (!subnet)
    return invalid_argument("ipam configuration: invalid subnet "
                            + ipam.subnet());
  if (ipam.gateway().empty())
    return ok_status();
  auto gw = parse_ipv4(ipam.gateway());
  if (!gw)
    return invalid_argument("ipam configuration: invalid gateway "
                            + ipam.gateway());
  if (!contains(*subnet, *gw))
    return invalid_argument("ipam configuration: subnet " + ipam.subnet()
                            + " does not contain gateway " + ipam.gateway());
  return ok_status();
}

result<write_decision> create_network(const store::object_store& view,
                                      pb::NetworkSpec spec,
                                      std::mt19937_64& gen, int64_t now_ns) {
  if (auto ok = validate_network_spec(spec); !ok)
    return ok.error();
  if (view.network_by_name(spec.name()))
    return fail(errc::name_conflict,
                docker_text::network_name_exists(spec.name()));
  if (spec.ingress())
    if (auto in = ingress_network(view))
      return fail(errc::name_conflict,
                  docker_text::rpc_error("AlreadyExists",
                                         "ingress network (" + in->id()
                                           + ") is already present"));
  if (auto subnet = parse_cidr(spec.ipam().subnet())) {
    std::vector<const pb::Network*> xs;
    for (auto& [id, n] : view.networks())
      xs.push_back(n.get());
    std::sort(xs.begin(), xs.end(), [](auto a, auto b) {
      return a->spec().name() < b->spec().name();
    });
    for (auto* n : xs)
      for (auto& other : subnets_of(*n))
        if (overlaps(*subnet, other))
          return fail(errc::invalid_spec,
                      docker_text::rpc_error(
                        "InvalidArgument",
                        "ipam configuration: subnet " + spec.ipam().subnet()
                          + " overlaps with subnet " + to_string(other)
                          + " of network " + n->spec().name()));
  }
  pb::Network net;
  net.set_id(new_id(gen));
  *net.mutable_spec() = std::move(spec);
  write_decision out;
  out.batch = single_action(pb::StoreAction::CREATE, now_ns);
  *out.batch.mutable_actions(0)->mutable_network() = net;
  out.ok.set_text(net.id());
  out.ok.add_ids(net.id());
  return out;
}

bool uses_network(const pb::Service& svc, const pb::Network& net) {
  if (net.spec().ingress())
    return needs_ingress(svc.spec());
  return std::any_of(svc.spec().networks().begin(), svc.spec().networks().end(),
                     [&net](auto& a) { return a.target() == net.id(); });
}

result<write_decision> remove_networks(const store::object_store& view,
                                       const pb::NetworkRemoveRequest& req,
                                       int64_t now_ns) {
  std::vector<const pb::Service*> services;
  for (auto& [id, s] : view.services())
    services.push_back(s.get());
  std::sort(services.begin(), services.end(),
            [](auto a, auto b) { return a->id() < b->id(); });
  write_decision out;
  out.batch.set_atomic(true);
  out.batch.set_proposed_at_ns(now_ns);
  for (auto& ref : req.refs()) {
    auto found = find_network(view, ref);
    if (!found) {
      if (found.error().code == errc::not_found)
        return fail(errc::not_found, docker_text::network_not_found(ref));
      return found.error();
    }
    auto& net = **found;
    for (auto* s : services)
      if (uses_network(*s, net))
        return fail(errc::refused,
                    net.spec().ingress()
                      ? docker_text::ingress_in_use(s->id())
                      : docker_text::network_in_use(net.id(), s->id()));
    auto* a = out.batch.add_actions();
    a->set_kind(pb::StoreAction::REMOVE);
    a->mutable_network()->set_id(net.id());
    out.ok.add_ids(ref);
  }
  return out;
}

result<store::object_ptr<pb::Network>>
find_network(const store::object_store& view, const std::string& ref) {
  return store::resolve(view.networks(), ref, "network",
                        [](const pb::Network& n) { return n.spec().name(); });
}

pb::ControlReply list_networks(const store::object_store& view) {
  std::vector<const pb::Network*> xs;
  for (auto& [id, n] : view.networks())
    xs.push_back(n.get());
  std::sort(xs.begin(), xs.end(),
            [](auto a, auto b) { return a->spec().name() < b->spec().name(); });
  pb::ControlReply out;
  for (auto* n : xs)
    *out.add_networks() = *n;
  return out;
}

result<pb::ControlReply>
inspect_networks(const store::object_store& view,
                 const pb::NetworkInspectRequest& req) {
  pb::ControlReply out;
  for (auto& ref : req.refs()) {
    auto n = find_network(view, ref);
    if (!n)
      return n.error();
    *out.add_networks() = **n;
  }
  return out;
}

// -- swarm init --------------------------------------------------------------

status apply_network_settings(const pb::SwarmInitRequest& req,
                              pb::ClusterSpec& spec) {
  auto size = req.subnet_size() != 0 ? req.subnet_size()
                                     : cluster_defaults::subnet_size;
  if (size > subnet_size_max)
    return invalid("subnet size is out of range: " + std::to_string(size));
  for (auto& pool : req.default_addr_pool()) {
    auto p = parse_cidr(pool);
    if (!p)
      return invalid("invalid base pool " + pool
                     + ": invalid CIDR address: " + pool);
    if (size < p->len)
      return invalid("invalid CIDR: \"" + pool
                     + "\". Subnet size is too small for pool: "
                     + std::to_string(size));
  }
  auto port = req.data_path_port();
  if (port != 0 && (port < data_path_port_min || port > data_path_port_max))
    return invalid("Datapath port number is not in valid range (1024-49151) : "
                   + std::to_string(port));
  spec.clear_default_addr_pool();
  for (auto& pool : req.default_addr_pool())
    spec.add_default_addr_pool(to_string(*parse_cidr(pool)));
  if (spec.default_addr_pool().empty())
    spec.add_default_addr_pool(cluster_defaults::default_addr_pool);
  spec.set_subnet_size(size);
  spec.set_data_path_port(port != 0 ? port : cluster_defaults::data_path_port);
  return ok_status();
}

pb::Network make_ingress_network(const std::string& id) {
  pb::Network n;
  n.set_id(id);
  auto& spec = *n.mutable_spec();
  spec.set_name(cluster_defaults::ingress_name);
  spec.set_driver("overlay");
  spec.set_ingress(true);
  spec.mutable_ipam()->set_subnet(cluster_defaults::ingress_subnet);
  spec.mutable_ipam()->set_gateway(cluster_defaults::ingress_gateway);
  return n;
}

store::object_ptr<pb::Network>
ingress_network(const store::object_store& view) {
  for (auto& [id, n] : view.networks())
    if (n->spec().ingress())
      return n;
  return nullptr;
}

// -- services ----------------------------------------------------------------

bool needs_ingress(const pb::ServiceSpec& spec) {
  return std::any_of(spec.endpoint().ports().begin(),
                     spec.endpoint().ports().end(), [](auto& p) {
                       return p.publish_mode() == pb::PortConfig::INGRESS;
                     });
}

status check_service_networking(const store::object_store& view,
                                pb::ServiceSpec& spec,
                                const std::string& service_id) {
  if (auto r = resolve_attachments(view, spec); !r)
    return r;
  if (auto r = validate_endpoint(spec.endpoint()); !r)
    return r;
  if (auto r = check_port_conflicts(view, spec, service_id); !r)
    return r;
  if (needs_ingress(spec) && !ingress_network(view))
    return invalid(docker_text::rpc_error(
      "FailedPrecondition",
      "service needs ingress network, but no ingress network is present"));
  return ok_status();
}

} // namespace actorswarm::control
