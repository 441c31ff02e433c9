// One service of a compose file: docker's v3 service schema, read into
// service_config (deploy and healthcheck: load_deploy.cpp).

#include <algorithm>

#include "cli/compose/interpolation.hpp"
#include "cli/compose/reader.hpp"

namespace actorswarm::cli::compose {

namespace {

using k = key_kind;

// docker's v3.9 service schema: the keys read here, docker's unsupported
// and deprecated ones (types.UnsupportedProperties, DeprecatedProperties),
// and the schema keys actorswarm has no use for yet, with the 3.x minor
// version that introduced each.
const std::vector<key_rule> service_keys = {
  {"build", 0, k::unsupported},
  {"cap_add", 0, k::supported},
  {"cap_drop", 0, k::supported},
  {"cgroup_parent", 0, k::unsupported},
  {"cgroupns_mode", 9, k::unsupported},
  {"command", 0, k::supported},
  {"configs", 3, k::unsupported},
  {"container_name", 0, k::deprecated},
  {"credential_spec", 3, k::unsupported},
  {"depends_on", 0, k::unsupported},
  {"deploy", 0, k::supported},
  {"devices", 0, k::unsupported},
  {"dns", 0, k::unsupported},
  {"dns_search", 0, k::unsupported},
  {"domainname", 0, k::unsupported},
  {"entrypoint", 0, k::supported},
  {"env_file", 0, k::supported},
  {"environment", 0, k::supported},
  {"expose", 0, k::deprecated},
  {"external_links", 0, k::unsupported},
  {"extra_hosts", 0, k::unsupported},
  {"healthcheck", 0, k::supported},
  {"hostname", 0, k::supported},
  {"image", 0, k::supported},
  {"init", 7, k::unsupported},
  {"ipc", 0, k::unsupported},
  {"isolation", 5, k::unsupported},
  {"labels", 0, k::supported},
  {"links", 0, k::unsupported},
  {"logging", 0, k::unsupported},
  {"mac_address", 0, k::unsupported},
  {"network_mode", 0, k::unsupported},
  {"networks", 0, k::supported},
  {"pid", 0, k::unsupported},
  {"ports", 0, k::supported},
  {"privileged", 0, k::unsupported},
  {"read_only", 0, k::unsupported},
  {"restart", 0, k::unsupported},
  {"secrets", 1, k::unsupported},
  {"security_opt", 0, k::unsupported},
  {"shm_size", 0, k::unsupported},
  {"stdin_open", 0, k::unsupported},
  {"stop_grace_period", 0, k::supported},
  {"stop_signal", 0, k::unsupported},
  {"sysctls", 0, k::unsupported},
  {"tmpfs", 0, k::unsupported},
  {"tty", 0, k::unsupported},
  {"ulimits", 0, k::unsupported},
  {"user", 0, k::supported},
  {"userns_mode", 0, k::unsupported},
  {"volumes", 0, k::supported},
  {"working_dir", 0, k::supported},
};

// docker's ForbiddenProperties: refused before the schema is read.
const std::map<std::string, std::string> forbidden_keys = {
  {"extends", "Support for `extends` is not implemented yet."},
  {"volume_driver",
   "Instead of setting the volume driver on the service, define a volume "
   "using the top-level `volumes` option and specify the driver there."},
  {"volumes_from",
   "To share a volume between services, define it using the top-level "
   "`volumes` option and reference it from each service that shares it using "
   "the service-level `volumes` option."},
  {"cpu_quota", "Set resource limits using deploy.resources"},
  {"cpu_shares", "Set resource limits using deploy.resources"},
  {"cpuset", "Set resource limits using deploy.resources"},
  {"mem_limit", "Set resource limits using deploy.resources"},
  {"memswap_limit", "Set resource limits using deploy.resources"},
};

const std::vector<key_rule> port_keys = {
  {"mode", 2, k::supported},
  {"target", 2, k::supported},
  {"published", 2, k::supported},
  {"protocol", 2, k::supported},
};

const std::vector<key_rule> volume_keys = {
  {"type", 2, k::supported},          {"source", 2, k::supported},
  {"target", 2, k::supported},        {"read_only", 2, k::supported},
  {"consistency", 2, k::unsupported}, {"bind", 2, k::unsupported},
  {"volume", 2, k::unsupported},      {"tmpfs", 6, k::unsupported},
};

const std::vector<key_rule> network_keys = {
  {"aliases", 0, k::supported},
  {"ipv4_address", 0, k::unsupported},
  {"ipv6_address", 0, k::unsupported},
};

std::vector<std::string> command_words(const reader& r, const YAML::Node& n,
                                       const std::string& path) {
  if (n.IsSequence())
    return r.strings(n, path);
  if (!n.IsScalar())
    r.fail_at(n, path + " must be a string or list");
  auto words = shell_split(r.str(n, path));
  if (!words)
    r.fail_at(n, path + ": EOF found when expecting closing quote");
  return *words;
}

uint32_t port_number(const reader& r, const YAML::Node& n,
                     const std::string& path) {
  auto v = r.integer(n, path);
  if (v < 1 || v > 65535)
    r.fail_at(n, path + " must be a port (1-65535)");
  return static_cast<uint32_t>(v);
}

port_config long_port(const reader& r, const YAML::Node& n,
                      const std::string& path) {
  port_config p;
  for (auto& [key, v] : r.entries(n, path, port_keys, "ports.", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "target")
      p.target = port_number(r, v, at);
    else if (name == "published")
      p.published = port_number(r, v, at);
    else if (name == "protocol")
      p.protocol = r.str(v, at);
    else
      p.mode = r.str(v, at);
  }
  if (p.target == 0)
    r.fail_at(n, path + " target is required");
  if (p.protocol != "tcp" && p.protocol != "udp")
    r.fail_at(n, path + ".protocol: invalid proto: " + p.protocol);
  if (p.mode != "ingress" && p.mode != "host")
    r.fail_at(n, path + ".mode: invalid publish mode: " + p.mode
                   + " (ingress or host)");
  return p;
}

void read_ports(const reader& r, const YAML::Node& n, const std::string& path,
                std::vector<port_config>& out) {
  if (!n.IsSequence())
    r.fail_at(n, path + " must be a list");
  size_t i = 0;
  for (auto x : n) {
    auto at = path + "." + std::to_string(i++);
    if (x.IsMap()) {
      out.push_back(long_port(r, x, at));
      continue;
    }
    if (!x.IsScalar())
      r.fail_at(x, at + " must be a string or number");
    auto ps = parse_short_ports(r.str(x, at));
    if (!ps)
      r.fail_at(x, at + ": " + ps.error().message);
    out.insert(out.end(), ps->begin(), ps->end());
  }
}

// A bind source as docker resolves it: `~` from HOME, relative paths from
// the working directory.
std::string bind_source(const reader& r, std::string src) {
  if (src.rfind("~", 0) == 0)
    if (auto home = r.env() ? r.env()("HOME") : std::nullopt)
      src = *home + src.substr(1);
  if (!src.empty() && src[0] != '/')
    src = r.dir() + "/" + (src.rfind("./", 0) == 0 ? src.substr(2) : src);
  while (src.size() > 1 && src.back() == '/')
    src.pop_back();
  return src;
}

// docker's volumespec.Parse for the short syntax: [SOURCE:]TARGET[:MODE].
service_volume short_volume(const reader& r, const YAML::Node& n,
                            const std::string& path) {
  auto spec = r.str(n, path);
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    auto colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon - start));
    if (colon == std::string::npos)
      break;
    start = colon + 1;
  }
  if (parts.size() > 3 || spec.empty())
    r.fail_at(n, path + ": invalid spec: " + spec + ": too many colons");
  if (parts.size() == 1)
    r.fail_at(n, path
                   + ": anonymous volumes are not supported: give the "
                     "volume a name (NAME:"
                   + spec + ")");
  service_volume v;
  v.source = parts[0];
  v.target = parts[1];
  if (parts.size() == 3) {
    if (parts[2] != "ro" && parts[2] != "rw")
      r.fail_at(n, path + ": invalid mode: " + parts[2] + " (ro or rw)");
    v.read_only = parts[2] == "ro";
  }
  auto c = v.source.empty() ? '\0' : v.source[0];
  v.type = c == '/' || c == '.' || c == '~' ? "bind" : "volume";
  return v;
}

service_volume long_volume(const reader& r, const YAML::Node& n,
                           const std::string& path) {
  service_volume v;
  for (auto& [key, x] : r.entries(n, path, volume_keys, "volumes.", 99)) {
    auto name = key.Scalar();
    auto at = path + "." + name;
    if (name == "type")
      v.type = r.str(x, at);
    else if (name == "source")
      v.source = r.str(x, at);
    else if (name == "target")
      v.target = r.str(x, at);
    else
      v.read_only = r.boolean(x, at);
  }
  if (v.type.empty())
    r.fail_at(n, path + " type is required");
  if (v.type != "bind" && v.type != "volume")
    r.fail_at(n, path + ".type: volume type " + v.type
                   + " is not supported here (bind or volume)");
  if (v.source.empty())
    r.fail_at(n, path + ": invalid mount config for type \"" + v.type
                   + "\": field Source must not be empty");
  return v;
}

void read_volumes(const reader& r, const YAML::Node& n, const std::string& path,
                  std::vector<service_volume>& out) {
  if (!n.IsSequence())
    r.fail_at(n, path + " must be a list");
  size_t i = 0;
  for (auto x : n) {
    auto at = path + "." + std::to_string(i++);
    auto v = x.IsMap() ? long_volume(r, x, at) : short_volume(r, x, at);
    if (v.target.empty() || v.target[0] != '/')
      r.fail_at(x, at + ": invalid mount target, must be an absolute path: "
                     + v.target);
    if (v.type == "bind")
      v.source = bind_source(r, v.source);
    v.where = r.where(x);
    out.push_back(std::move(v));
  }
}

void read_networks(const reader& r, const YAML::Node& n,
                   const std::string& path,
                   std::map<std::string, service_network>& out) {
  if (n.IsSequence()) {
    size_t i = 0;
    for (auto x : n)
      out[r.str(x, path + "." + std::to_string(i++))].where = r.where(x);
    return;
  }
  if (!n.IsMap())
    r.fail_at(n, path + " must be a mapping or list");
  for (auto& [key, v] : r.free_entries(n, path)) {
    auto& net = out[key.Scalar()];
    net.where = r.where(key);
    if (v.IsNull())
      continue;
    auto at = path + "." + key.Scalar();
    for (auto& [k2, x] : r.entries(v, at, network_keys, "networks.*.", 99))
      net.aliases = r.strings(x, at + ".aliases");
  }
}

void read_environment(const reader& r, const YAML::Node* env_file,
                      const YAML::Node* environment, const std::string& path,
                      service_config& s) {
  if (env_file != nullptr)
    for (auto& f : r.strings(*env_file, path + ".env_file", true)) {
      auto file = f.empty() || f[0] == '/' ? f : r.dir() + "/" + f;
      auto text = read_text_file(file);
      if (!text)
        r.fail_at(*env_file, text.error().message);
      auto lines = parse_env_file(*text, r.env());
      if (!lines)
        r.fail_at(*env_file, file + ": " + lines.error().message);
      for (auto& kv : *lines) {
        auto eq = kv.find('=');
        s.environment[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
    }
  if (environment == nullptr)
    return;
  for (auto& [key, v] : r.list_or_dict(*environment, path + ".environment")) {
    // docker: `KEY` without a value takes the CLI's environment.
    if (!v && r.env())
      v = r.env()(key);
    s.environment[key] = v;
  }
}

} // namespace

void read_service(const reader& r, const std::string& name,
                  const YAML::Node& key, const YAML::Node& n,
                  service_config& s) {
  auto path = "services." + name;
  s.name = name;
  s.where = r.where(key);
  if (n.IsMap())
    for (auto it = n.begin(); it != n.end(); ++it)
      if (auto f = forbidden_keys.find(it->first.Scalar());
          f != forbidden_keys.end())
        r.fail_at(it->first, "compose file contains unsupported options: "
                               + f->first + ": " + f->second);
  const YAML::Node* env_file = nullptr;
  const YAML::Node* environment = nullptr;
  auto xs = r.entries(n, path, service_keys, "", 7);
  for (auto& [k, v] : xs) {
    auto key_name = k.Scalar();
    auto at = path + "." + key_name;
    if (key_name == "image")
      s.image = r.str(v, at);
    else if (key_name == "command")
      s.command = command_words(r, v, at);
    else if (key_name == "entrypoint")
      s.entrypoint = command_words(r, v, at);
    else if (key_name == "env_file")
      env_file = &v;
    else if (key_name == "environment")
      environment = &v;
    else if (key_name == "working_dir")
      s.working_dir = r.str(v, at);
    else if (key_name == "user")
      s.user = r.str(v, at);
    else if (key_name == "hostname")
      s.hostname = r.str(v, at);
    else if (key_name == "labels")
      for (auto& [lk, lv] : r.list_or_dict(v, at))
        s.labels[lk] = lv.value_or("");
    else if (key_name == "ports")
      read_ports(r, v, at, s.ports);
    else if (key_name == "networks")
      read_networks(r, v, at, s.networks);
    else if (key_name == "volumes")
      read_volumes(r, v, at, s.volumes);
    else if (key_name == "healthcheck")
      s.healthcheck = read_healthcheck(r, v, at);
    else if (key_name == "stop_grace_period")
      s.stop_grace_period_ns = r.duration_ns(v, at);
    else if (key_name == "cap_add")
      s.cap_add = r.strings(v, at);
    else if (key_name == "cap_drop")
      s.cap_drop = r.strings(v, at);
    else if (key_name == "deploy")
      read_deploy(r, v, at, s.deploy);
  }
  read_environment(r, env_file, environment, path, s);
}

} // namespace actorswarm::cli::compose
