#pragma once

// Compose files (version 3.0 to 3.9) as `stack deploy` reads them, after
// docker/cli's cli/compose: loader (YAML -> this model, with docker's schema
// checks and texts), interpolation (`${VAR}` forms) and merge (several -c
// files). convert.hpp turns the model into the specs the daemon takes.
// CAF-free; yaml-cpp stays inside the .cpp files.
//
// Errors name the file, line and column at fault and then docker's text:
// `stack.yml:7:5: services.web Additional property foo is not allowed`.
// Keys docker knows but actorswarm does not act on are collected (by name)
// for docker's `Ignoring unsupported options: build` line.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::cli::compose {

/// Looks a variable up (the CLI's environment); nullopt when unset.
using env_lookup
  = std::function<std::optional<std::string>(const std::string& name)>;

/// One published port (long syntax, or one port of a short-syntax range).
struct port_config {
  uint32_t target = 0;
  uint32_t published = 0;       ///< 0: the allocator picks one
  std::string protocol = "tcp"; ///< tcp|udp
  std::string mode = "ingress"; ///< ingress|host
};

/// One `volumes:` entry of a service. `source` of a bind is absolute (made so
/// against the first file's directory); of a volume, the compose name.
struct service_volume {
  std::string type; ///< bind|volume
  std::string source;
  std::string target;
  bool read_only = false;
  std::string where; ///< file:line:col, for later errors
};

/// One network a service joins, with its extra aliases.
struct service_network {
  std::vector<std::string> aliases;
  std::string where;
};

struct healthcheck_config {
  std::vector<std::string> test; ///< docker's form: CMD-SHELL x / CMD argv
  std::optional<int64_t> interval_ns;
  std::optional<int64_t> timeout_ns;
  std::optional<int64_t> start_period_ns;
  std::optional<uint64_t> retries;
  bool disable = false;
};

/// deploy.update_config / deploy.rollback_config.
struct update_config {
  std::optional<uint64_t> parallelism; ///< unset: 1, as docker
  int64_t delay_ns = 0;
  std::string failure_action; ///< pause|continue|rollback, "" pause
  int64_t monitor_ns = 0;
  double max_failure_ratio = 0;
  std::string order; ///< stop-first|start-first, ""
};

struct restart_policy {
  std::optional<std::string> condition; ///< none|on-failure|any
  std::optional<int64_t> delay_ns;
  std::optional<uint64_t> max_attempts;
  std::optional<int64_t> window_ns;
};

struct deploy_config {
  std::optional<std::string> mode; ///< replicated|global
  std::optional<uint64_t> replicas;
  std::map<std::string, std::string> labels; ///< service labels
  std::optional<int64_t> limit_nano_cpus;
  std::optional<int64_t> limit_memory_bytes;
  std::optional<int64_t> reserve_nano_cpus;
  std::optional<int64_t> reserve_memory_bytes;
  std::optional<restart_policy> restart;
  std::optional<update_config> update;
  std::optional<update_config> rollback;
  std::vector<std::string> constraints;
  std::vector<std::string> preferences; ///< spread descriptors
  std::optional<uint64_t> max_replicas_per_node;
  std::optional<std::string> endpoint_mode; ///< vip|dnsrr
};

/// One service as the files describe it (merged when several files name
/// it). Optional fields distinguish "not given" for the merge.
struct service_config {
  std::string name;
  std::string where; ///< file:line:col of its key (first file naming it)
  std::optional<std::string> image;
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::string>> entrypoint;
  /// Resolved: env_file entries, then `environment`; nullopt = `KEY` given
  /// without a value and unset in the CLI's environment (left out).
  std::map<std::string, std::optional<std::string>> environment;
  std::optional<std::string> working_dir;
  std::optional<std::string> user;
  std::optional<std::string> hostname;
  std::map<std::string, std::string> labels; ///< container labels
  std::vector<port_config> ports;
  /// By compose network name; empty: the stack's `default` network.
  std::map<std::string, service_network> networks;
  std::vector<service_volume> volumes;
  std::optional<healthcheck_config> healthcheck;
  std::optional<int64_t> stop_grace_period_ns;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  deploy_config deploy;
};

/// A top-level `networks:` entry.
struct network_config {
  std::string name;   ///< explicit name (`name:`, `external.name`)
  std::string driver; ///< "" = overlay
  bool internal = false;
  bool attachable = false;
  bool external = false;
  std::map<std::string, std::string> labels;
  std::string subnet; ///< ipam.config[0].subnet
  std::string where;
};

/// A top-level `volumes:` entry.
struct volume_config {
  std::string name; ///< explicit name (`name:`, `external.name`)
  bool external = false;
  std::map<std::string, std::string> labels;
};

/// The merged files.
struct config {
  std::string version;                  ///< "3.0" .. "3.9"
  std::vector<service_config> services; ///< sorted by name
  std::map<std::string, network_config> networks;
  std::map<std::string, volume_config> volumes;
  /// Keys docker knows that are ignored here, sorted, each once
  /// ("build", "deploy.resources.limits.pids", "secrets", ...).
  std::vector<std::string> unsupported;
  /// docker's deprecated keys used, with docker's reason.
  std::map<std::string, std::string> deprecated;
};

/// Reads and merges `files` (later files override earlier ones, as
/// docker's merge: see docs in loader.cpp), interpolating from `env` and
/// then from the `.env` file next to the first file. Relative paths
/// (env_file, bind sources) are taken from the first file's directory, as
/// docker's working dir. Reads files; nothing else.
result<config> load(const std::vector<std::string>& files,
                    const env_lookup& env);

/// Like load, from texts already read: `sources[i]` = {file name, text};
/// `dir` is the working directory for relative paths and `.env`.
result<config>
load_texts(const std::vector<std::pair<std::string, std::string>>& sources,
           const std::string& dir, const env_lookup& env);

} // namespace actorswarm::cli::compose
