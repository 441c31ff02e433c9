#include "cli/network_spec.hpp"

#include <algorithm>
#include <cctype>

#include "cli/units.hpp"

namespace actorswarm::cli {

namespace {

constexpr uint32_t port_max = 65535;

std::string lower(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

std::string trim(const std::string& x) {
  auto b = x.find_first_not_of(" \t");
  if (b == std::string::npos)
    return "";
  return x.substr(b, x.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split(const std::string& x, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    auto i = x.find(sep, start);
    out.push_back(x.substr(start, i - start));
    if (i == std::string::npos)
      return out;
    start = i + 1;
  }
}

// Go's strconv.ParseUint(x, 10, 16), its error without the prefix.
result<uint32_t> parse_port(const std::string& x) {
  if (x.empty() || !std::all_of(x.begin(), x.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return fail(errc::invalid_spec, "invalid syntax");
  if (x.size() > 5 || std::stoul(x) > port_max)
    return fail(errc::invalid_spec, "value out of range");
  return static_cast<uint32_t>(std::stoul(x));
}

failure bad(const std::string& flag, const std::string& value,
            const std::string& message) {
  return bad_flag(flag, value, message);
}

// docker's long syntax: `key=value` fields separated by commas.
bool long_syntax(const std::string& x) {
  return x.find('=') != std::string::npos;
}

result<pb::PortConfig> parse_long_port(const std::string& flag,
                                       const std::string& value) {
  pb::PortConfig p;
  for (const auto& field : split(value, ',')) {
    auto eq = field.find('=');
    if (eq == std::string::npos || eq == 0)
      return bad(flag, value, "invalid field: " + field);
    auto key = lower(field.substr(0, eq));
    auto val = lower(field.substr(eq + 1));
    if (key == "protocol") {
      if (val == "tcp")
        p.set_protocol(pb::PortConfig::TCP);
      else if (val == "udp")
        p.set_protocol(pb::PortConfig::UDP);
      else
        return bad(flag, value, "invalid protocol value '" + val + "'");
    } else if (key == "mode") {
      if (val == "ingress")
        p.set_publish_mode(pb::PortConfig::INGRESS);
      else if (val == "host")
        p.set_publish_mode(pb::PortConfig::HOST);
      else
        return bad(flag, value,
                   "invalid publish mode value (" + val
                     + "): must be either 'ingress' or 'host'");
    } else if (key == "target" || key == "published") {
      auto port = parse_port(val);
      if (!port)
        return bad(flag, value,
                   "invalid " + key + " port (" + val
                     + "): value must be an integer: " + port.error().message);
      if (key == "target")
        p.set_target_port(*port);
      else
        p.set_published_port(*port);
    } else {
      return bad(flag, value, "invalid field key: " + key);
    }
  }
  if (p.target_port() == 0)
    return bad(flag, value, "missing mandatory field 'target'");
  return p;
}

// docker's short syntax through nat.ParsePortSpecs: [ip:]public:private
// [/proto], one port each side (no ranges here).
result<pb::PortConfig> parse_short_port(const std::string& flag,
                                        const std::string& value) {
  pb::PortConfig p;
  auto spec = value;
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    auto proto = lower(spec.substr(slash + 1));
    spec = spec.substr(0, slash);
    if (proto == "udp")
      p.set_protocol(pb::PortConfig::UDP);
    else if (proto != "tcp")
      return bad(flag, value, "invalid proto: " + proto);
  }
  auto parts = split(spec, ':');
  if (parts.size() > 2)
    return bad(flag, value, "hostip is not supported");
  auto& target = parts.back();
  if (target.empty())
    return bad(flag, value, "no port specified: " + spec + "<empty>");
  if (target.find('-') != std::string::npos
      || (parts.size() == 2 && parts[0].find('-') != std::string::npos))
    return bad(flag, value, "port ranges are not supported: " + spec);
  auto t = parse_port(target);
  if (!t)
    return bad(flag, value, "invalid containerPort: " + target);
  p.set_target_port(*t);
  if (parts.size() == 2 && !parts[0].empty()) {
    auto h = parse_port(parts[0]);
    if (!h)
      return bad(flag, value, "invalid hostPort: " + parts[0]);
    p.set_published_port(*h);
  }
  return p;
}

std::string port_key(const pb::PortConfig& p) {
  return std::to_string(p.published_port()) + ":"
         + std::to_string(p.target_port()) + "/"
         + (p.protocol() == pb::PortConfig::UDP ? "udp" : "tcp") + "/"
         + (p.publish_mode() == pb::PortConfig::HOST ? "host" : "ingress");
}

// docker's portRange of formatter.go.
struct port_range {
  uint32_t p_start = 0, p_end = 0, t_start = 0, t_end = 0;
  pb::PortConfig::Protocol protocol = pb::PortConfig::TCP;

  std::string text() const {
    auto side = [](uint32_t a, uint32_t b) {
      return b > a ? std::to_string(a) + "-" + std::to_string(b)
                   : std::to_string(a);
    };
    return "*:" + side(p_start, p_end) + "->" + side(t_start, t_end) + "/"
           + (protocol == pb::PortConfig::UDP ? "udp" : "tcp");
  }
};

// docker's serviceContext.Ports over the ports of one publish mode.
void add_ranges(std::vector<const pb::PortConfig*> xs,
                std::vector<std::string>& out) {
  std::stable_sort(xs.begin(), xs.end(), [](auto a, auto b) {
    if (a->protocol() == b->protocol())
      return a->published_port() < b->published_port();
    return a->protocol() < b->protocol();
  });
  port_range pr;
  bool open = false;
  for (auto* p : xs) {
    bool is_range = pr.t_end != pr.t_start;
    bool overlaps = p->target_port() <= pr.t_end;
    if (!open || p->protocol() != pr.protocol
        || p->published_port() - pr.p_end > 1 || p->target_port() - pr.t_end > 1
        || (is_range && overlaps)) {
      if (open && pr.p_start > 0)
        out.push_back(pr.text());
      pr = port_range{p->published_port(), p->published_port(),
                      p->target_port(), p->target_port(), p->protocol()};
      open = true;
      continue;
    }
    pr.p_end = p->published_port();
    pr.t_end = p->target_port();
  }
  if (open && pr.p_start > 0)
    out.push_back(pr.text());
}

} // namespace

result<pb::NetworkAttachmentConfig>
parse_network_opt(const std::string& flag, const std::string& value) {
  pb::NetworkAttachmentConfig out;
  if (!long_syntax(value)) {
    if (value.empty())
      return bad(flag, value, "network name/id is not specified");
    out.set_target(value);
    return out;
  }
  for (const auto& field : split(value, ',')) {
    auto eq = field.find('=');
    if (eq == std::string::npos || eq == 0)
      return bad(flag, value, "invalid field " + field);
    auto key = trim(lower(field.substr(0, eq)));
    auto val = trim(field.substr(eq + 1));
    if (key == "name")
      out.set_target(val);
    else if (key == "alias")
      out.add_aliases(val);
    else
      return bad(flag, value, "invalid field key " + key);
  }
  if (out.target().empty())
    return bad(flag, value, "network name/id is not specified");
  return out;
}

result<pb::PortConfig> parse_port_opt(const std::string& flag,
                                      const std::string& value) {
  return long_syntax(value) ? parse_long_port(flag, value)
                            : parse_short_port(flag, value);
}

result<pb::EndpointSpec::ResolutionMode>
parse_endpoint_mode(const std::string& value) {
  auto mode = lower(value);
  if (mode.empty() || mode == "vip")
    return pb::EndpointSpec::VIP;
  if (mode == "dnsrr")
    return pb::EndpointSpec::DNSRR;
  return fail(errc::invalid_spec, "invalid resolution mode: \"" + value + "\"");
}

void update_ports(pb::EndpointSpec& ep, const std::vector<pb::PortConfig>& rm,
                  const std::vector<pb::PortConfig>& add) {
  std::map<std::string, pb::PortConfig> set;
  for (const auto& p : ep.ports())
    set.emplace(port_key(p), p);
  std::vector<pb::PortConfig> out;
  for (const auto& [key, p] : set) {
    bool drop = std::any_of(rm.begin(), rm.end(), [&p = p](auto& r) {
      return r.protocol() == p.protocol() && r.target_port() == p.target_port()
             && r.publish_mode() == p.publish_mode();
    });
    if (!drop)
      out.push_back(p);
  }
  for (const auto& p : add)
    if (set.count(port_key(p)) == 0)
      out.push_back(p);
  std::stable_sort(out.begin(), out.end(),
                   [](auto& a, auto& b) { return port_key(a) < port_key(b); });
  ep.clear_ports();
  for (auto& p : out)
    *ep.add_ports() = std::move(p);
}

status update_networks(
  google::protobuf::RepeatedPtrField<pb::NetworkAttachmentConfig>& networks,
  const std::vector<std::string>& rm_ids,
  const std::vector<pb::NetworkAttachmentConfig>& add,
  const std::vector<std::string>& add_refs) {
  google::protobuf::RepeatedPtrField<pb::NetworkAttachmentConfig> out;
  for (const auto& n : networks)
    if (std::find(rm_ids.begin(), rm_ids.end(), n.target()) == rm_ids.end())
      *out.Add() = n;
  for (size_t i = 0; i < add.size(); ++i) {
    bool there = std::any_of(out.begin(), out.end(), [&](auto& n) {
      return n.target() == add[i].target();
    });
    if (there)
      return fail(errc::invalid_spec,
                  "service is already attached to network "
                    + (i < add_refs.size() ? add_refs[i] : add[i].target()));
    *out.Add() = add[i];
  }
  networks.Swap(&out);
  return ok_status();
}

std::string
ports_text(const google::protobuf::RepeatedPtrField<pb::PortConfig>& ports) {
  std::vector<const pb::PortConfig*> ingress, host;
  for (const auto& p : ports)
    (p.publish_mode() == pb::PortConfig::HOST ? host : ingress).push_back(&p);
  std::vector<std::string> parts;
  add_ranges(ingress, parts);
  add_ranges(host, parts);
  std::string out;
  for (const auto& x : parts)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

const google::protobuf::RepeatedPtrField<pb::PortConfig>&
service_ports(const pb::Service& s) {
  return s.has_endpoint() && !s.endpoint().ports().empty()
           ? s.endpoint().ports()
           : s.spec().endpoint().ports();
}

} // namespace actorswarm::cli
