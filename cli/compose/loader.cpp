// Compose files -> config: the version, the top-level sections, networks
// and volumes (services: load_service.cpp), and the merge of several files.
//
// Merge of a later file into the earlier ones (docker's loader/merge.go,
// kept to plain rules): a service named again has its scalars (image,
// command, entrypoint, working_dir, user, hostname, stop_grace_period,
// healthcheck, deploy's mode, replicas, endpoint_mode, resources,
// restart_policy fields, update_config, rollback_config,
// max_replicas_per_node) replaced when the later file sets them;
// environment, labels, deploy.labels and networks merged by key, the later
// value winning; ports merged by published port and protocol (by target
// when unpublished) and volumes by target, the later entry winning;
// cap_add, cap_drop, placement constraints and preferences appended.
// Top-level networks and volumes named again are replaced whole. All files
// must have the same version.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/compose/interpolation.hpp"
#include "cli/compose/reader.hpp"

namespace actorswarm::cli::compose {

namespace {

using k = key_kind;

constexpr int latest_minor = 9;

const std::vector<key_rule> root_keys = {
  {"version", 0, k::supported},   {"services", 0, k::supported},
  {"networks", 0, k::supported},  {"volumes", 0, k::supported},
  {"secrets", 1, k::unsupported}, {"configs", 3, k::unsupported},
};

const std::vector<key_rule> network_def_keys = {
  {"name", 5, k::supported},          {"driver", 0, k::supported},
  {"driver_opts", 0, k::unsupported}, {"ipam", 0, k::supported},
  {"external", 0, k::supported},      {"internal", 0, k::supported},
  {"attachable", 2, k::supported},    {"labels", 0, k::supported},
};

const std::vector<key_rule> ipam_keys = {
  {"driver", 0, k::unsupported},
  {"config", 0, k::supported},
};

const std::vector<key_rule> ipam_config_keys = {{"subnet", 0, k::supported}};

const std::vector<key_rule> external_keys = {{"name", 0, k::supported}};

const std::vector<key_rule> volume_def_keys = {
  {"name", 4, k::supported},          {"driver", 0, k::unsupported},
  {"driver_opts", 0, k::unsupported}, {"external", 0, k::supported},
  {"labels", 0, k::supported},
};

// `external: true` or `external: {name: N}` (deprecated form of `name:`).
void read_external(const reader& r, const YAML::Node& n,
                   const std::string& path, bool& external, std::string& name,
                   const std::string& kind) {
  if (n.IsScalar()) {
    external = r.boolean(n, path);
    return;
  }
  external = true;
  for (auto& [key, v] : r.entries(n, path, external_keys, "", 99)) {
    if (!name.empty())
      r.fail_at(key, kind + ": " + kind + ".external.name and " + kind
                       + ".name conflict; only use " + kind + ".name");
    name = r.str(v, path + ".name");
  }
}

network_config read_network(const reader& r, const std::string& id,
                            const YAML::Node& key, const YAML::Node& n) {
  network_config net;
  net.where = r.where(key);
  if (n.IsNull())
    return net;
  auto path = "networks." + id;
  for (auto& [k2, v] : r.entries(n, path, network_def_keys, path + ".", 7)) {
    auto name = k2.Scalar();
    auto at = path + "." + name;
    if (name == "name") {
      net.name = r.str(v, at);
    } else if (name == "driver") {
      net.driver = r.str(v, at);
      if (net.driver != "overlay")
        r.fail_at(v, at + ": network driver \"" + net.driver
                       + "\" is not supported: a swarm has only overlay "
                         "networks");
    } else if (name == "internal") {
      net.internal = r.boolean(v, at);
    } else if (name == "attachable") {
      net.attachable = r.boolean(v, at);
    } else if (name == "labels") {
      for (auto& [lk, lv] : r.list_or_dict(v, at))
        net.labels[lk] = lv.value_or("");
    } else if (name == "external") {
      read_external(r, v, at, net.external, net.name, "network " + id);
    } else {
      for (auto& [k3, c] : r.entries(v, at, ipam_keys, at + ".", 99)) {
        if (!c.IsSequence())
          r.fail_at(c, at + ".config must be a list");
        if (c.size() > 1)
          r.fail_at(c, at
                         + ".config: only one subnet per network is "
                           "supported");
        for (auto item : c)
          for (auto& [k4, s] :
               r.entries(item, at + ".config.0", ipam_config_keys, "", 99))
            net.subnet = r.str(s, at + ".config.0.subnet");
      }
    }
  }
  return net;
}

volume_config read_volume(const reader& r, const std::string& id,
                          const YAML::Node& n) {
  volume_config vol;
  if (n.IsNull())
    return vol;
  auto path = "volumes." + id;
  for (auto& [k2, v] : r.entries(n, path, volume_def_keys, path + ".", 7)) {
    auto name = k2.Scalar();
    auto at = path + "." + name;
    if (name == "name")
      vol.name = r.str(v, at);
    else if (name == "external")
      read_external(r, v, at, vol.external, vol.name, "volume " + id);
    else
      for (auto& [lk, lv] : r.list_or_dict(v, at))
        vol.labels[lk] = lv.value_or("");
  }
  if (vol.external && !vol.labels.empty())
    r.fail_at(n, "conflicting parameters \"external\" and \"labels\" "
                 "specified for volume \""
                   + id + "\"");
  return vol;
}

// docker's schema.Version: "3" and no version read as the latest 3.x.
int version_minor(const std::string& file, const YAML::Node& root,
                  std::string& text) {
  auto v = root["version"];
  text = v && v.IsScalar() ? v.Scalar() : "";
  if (!v || text.empty() || text == "3")
    return latest_minor;
  if (text.size() == 3 && text.rfind("3.", 0) == 0 && std::isdigit(text[2]))
    return text[2] - '0';
  auto m = v.Mark();
  throw compose_error(file + ":" + std::to_string(m.line + 1) + ":"
                      + std::to_string(m.column + 1)
                      + ": unsupported Compose file version: " + text);
}

void read_file(const std::string& file, const std::string& text,
               const std::string& dir, const env_lookup& env, int& minor,
               config& out, std::vector<config>& parts) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw compose_error(file + ":" + std::to_string(e.mark.line + 1) + ":"
                        + std::to_string(e.mark.column + 1)
                        + ": yaml: " + e.msg);
  }
  if (!root.IsMap())
    throw compose_error(file + ": top-level object must be a mapping");
  std::string version_text;
  int m = version_minor(file, root, version_text);
  if (minor >= 0 && m != minor)
    throw compose_error(file
                        + ": version mismatched between two composefiles : 3."
                        + std::to_string(minor) + " and 3."
                        + std::to_string(m));
  minor = m;
  std::set<std::string> unsupported(out.unsupported.begin(),
                                    out.unsupported.end());
  reader r(file, m, dir, env, unsupported, out.deprecated);
  config part;
  for (auto& [key, v] : r.entries(root, "(root)", root_keys, "", 4)) {
    auto name = key.Scalar();
    if (name == "services") {
      for (auto& [sk, sv] : r.free_entries(v, "services")) {
        part.services.emplace_back();
        read_service(r, sk.Scalar(), sk, sv, part.services.back());
      }
    } else if (name == "networks") {
      for (auto& [nk, nv] : r.free_entries(v, "networks"))
        part.networks[nk.Scalar()] = read_network(r, nk.Scalar(), nk, nv);
    } else if (name == "volumes") {
      for (auto& [vk, vv] : r.free_entries(v, "volumes"))
        part.volumes[vk.Scalar()] = read_volume(r, vk.Scalar(), vv);
    }
  }
  out.unsupported.assign(unsupported.begin(), unsupported.end());
  parts.push_back(std::move(part));
}

template <class T>
void take(std::optional<T>& into, const std::optional<T>& from) {
  if (from)
    into = from;
}

template <class T>
void append(std::vector<T>& into, const std::vector<T>& from) {
  for (auto& x : from)
    if (std::find(into.begin(), into.end(), x) == into.end())
      into.push_back(x);
}

void merge_deploy(deploy_config& d, const deploy_config& o) {
  take(d.mode, o.mode);
  take(d.replicas, o.replicas);
  take(d.endpoint_mode, o.endpoint_mode);
  take(d.limit_nano_cpus, o.limit_nano_cpus);
  take(d.limit_memory_bytes, o.limit_memory_bytes);
  take(d.reserve_nano_cpus, o.reserve_nano_cpus);
  take(d.reserve_memory_bytes, o.reserve_memory_bytes);
  take(d.max_replicas_per_node, o.max_replicas_per_node);
  take(d.update, o.update);
  take(d.rollback, o.rollback);
  for (auto& [k, v] : o.labels)
    d.labels[k] = v;
  if (o.restart) {
    if (!d.restart)
      d.restart.emplace();
    take(d.restart->condition, o.restart->condition);
    take(d.restart->delay_ns, o.restart->delay_ns);
    take(d.restart->max_attempts, o.restart->max_attempts);
    take(d.restart->window_ns, o.restart->window_ns);
  }
  append(d.constraints, o.constraints);
  append(d.preferences, o.preferences);
}

bool same_port(const port_config& a, const port_config& b) {
  if (a.published != 0 || b.published != 0)
    return a.published == b.published && a.protocol == b.protocol;
  return a.target == b.target && a.protocol == b.protocol;
}

void merge_service(service_config& s, const service_config& o) {
  take(s.image, o.image);
  take(s.command, o.command);
  take(s.entrypoint, o.entrypoint);
  take(s.working_dir, o.working_dir);
  take(s.user, o.user);
  take(s.hostname, o.hostname);
  take(s.healthcheck, o.healthcheck);
  take(s.stop_grace_period_ns, o.stop_grace_period_ns);
  for (auto& [k, v] : o.environment)
    s.environment[k] = v;
  for (auto& [k, v] : o.labels)
    s.labels[k] = v;
  for (auto& [k, v] : o.networks)
    s.networks[k] = v;
  for (auto& p : o.ports) {
    auto it = std::find_if(s.ports.begin(), s.ports.end(),
                           [&](auto& x) { return same_port(x, p); });
    if (it != s.ports.end())
      *it = p;
    else
      s.ports.push_back(p);
  }
  for (auto& v : o.volumes) {
    auto it = std::find_if(s.volumes.begin(), s.volumes.end(),
                           [&](auto& x) { return x.target == v.target; });
    if (it != s.volumes.end())
      *it = v;
    else
      s.volumes.push_back(v);
  }
  append(s.cap_add, o.cap_add);
  append(s.cap_drop, o.cap_drop);
  merge_deploy(s.deploy, o.deploy);
}

void merge_into(config& base, config& part) {
  for (auto& s : part.services) {
    auto it = std::find_if(base.services.begin(), base.services.end(),
                           [&](auto& x) { return x.name == s.name; });
    if (it != base.services.end())
      merge_service(*it, s);
    else
      base.services.push_back(std::move(s));
  }
  for (auto& [name, n] : part.networks)
    base.networks[name] = n;
  for (auto& [name, v] : part.volumes)
    base.volumes[name] = v;
}

// The environment first, then the `.env` file of `dir`.
env_lookup with_dot_env(const std::string& dir, const env_lookup& env) {
  auto text = read_text_file(dir + "/.env");
  std::map<std::string, std::string> dot;
  if (text) {
    auto lines = parse_env_file(*text, env_lookup{});
    if (!lines)
      throw compose_error(dir + "/.env: " + lines.error().message);
    for (auto& kv : *lines) {
      auto eq = kv.find('=');
      dot[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return [env, dot](const std::string& name) -> std::optional<std::string> {
    if (auto v = env ? env(name) : std::nullopt)
      return v;
    if (auto it = dot.find(name); it != dot.end())
      return it->second;
    return std::nullopt;
  };
}

} // namespace

result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::not_found,
                "open " + path + ": no such file or directory");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

result<config>
load_texts(const std::vector<std::pair<std::string, std::string>>& sources,
           const std::string& dir, const env_lookup& env) {
  if (sources.empty())
    return fail(errc::invalid_spec,
                "specify a Compose file (with --compose-file)");
  try {
    auto lookup = with_dot_env(dir, env);
    config out;
    std::vector<config> parts;
    int minor = -1;
    for (auto& [file, text] : sources)
      read_file(file, text, dir, lookup, minor, out, parts);
    out.version = "3." + std::to_string(minor);
    for (auto& part : parts)
      merge_into(out, part);
    std::sort(out.services.begin(), out.services.end(),
              [](auto& a, auto& b) { return a.name < b.name; });
    return out;
  } catch (const compose_error& e) {
    return fail(errc::invalid_spec, e.what());
  } catch (const YAML::Exception& e) {
    return fail(errc::invalid_spec, std::string{"yaml: "} + e.what());
  }
}

result<config> load(const std::vector<std::string>& files,
                    const env_lookup& env) {
  std::vector<std::pair<std::string, std::string>> sources;
  for (auto& f : files) {
    auto text = read_text_file(f);
    if (!text)
      return text.error();
    sources.emplace_back(f, std::move(*text));
  }
  // docker's working dir: the first file's directory, absolute.
  std::string dir;
  if (!files.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(files[0], ec).lexically_normal();
    dir = ec ? "." : abs.parent_path().string();
  }
  return load_texts(sources, dir, env);
}

} // namespace actorswarm::cli::compose
