#pragma once

// The compose loader's YAML walk (internal to cli/compose/): typed reads of
// yaml-cpp nodes with docker's schema texts, every scalar interpolated, and
// errors carrying `file:line:col: `. Errors are thrown as compose_error
// inside the loader only; load() turns them into a failure.

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "cli/compose/compose.hpp"

namespace actorswarm::cli::compose {

/// A refusal with its whole line (`file:line:col: text`).
struct compose_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// How a known key is treated.
enum class key_kind {
  supported,   ///< read
  unsupported, ///< reported in "Ignoring unsupported options: ..."
  deprecated,  ///< reported in "Ignoring deprecated options: ..."
};

/// A key of one mapping of the schema: its name, the first 3.x minor
/// version that has it, and how it is treated.
struct key_rule {
  const char* name;
  int since_minor;
  key_kind kind;
};

/// One file being read.
class reader {
public:
  reader(std::string file, int minor, std::string dir, const env_lookup& env,
         std::set<std::string>& unsupported,
         std::map<std::string, std::string>& deprecated)
    : file_(std::move(file)),
      minor_(minor),
      dir_(std::move(dir)),
      env_(env),
      unsupported_(unsupported),
      deprecated_(deprecated) {
    // nop
  }

  /// `file:line:col` of `n` (1-based).
  std::string where(const YAML::Node& n) const;

  /// Throws `where(n): msg`.
  [[noreturn]] void fail_at(const YAML::Node& n, const std::string& msg) const;

  /// The entries of mapping `n` at `path` (keys as written, `<<` merge keys
  /// expanded, later explicit keys winning), checked against `rules`:
  /// unknown keys, or keys newer than the file's version, fail with
  /// docker's `<path> Additional property <key> is not allowed`; ignored
  /// ones are recorded (`report_prefix` + key). `x-` keys are allowed when
  /// `extensions_since` <= the file's minor version, and skipped.
  std::vector<std::pair<YAML::Node, YAML::Node>>
  entries(const YAML::Node& n, const std::string& path,
          const std::vector<key_rule>& rules, const std::string& report_prefix,
          int extensions_since) const;

  /// The entries of a free-form mapping (labels, networks by name): no key
  /// rules, `<<` expanded, duplicates refused.
  std::vector<std::pair<YAML::Node, YAML::Node>>
  free_entries(const YAML::Node& n, const std::string& path) const;

  /// Fails unless `n` is a mapping (`<path> must be a mapping`).
  void want_map(const YAML::Node& n, const std::string& path) const;

  /// A scalar, interpolated.
  std::string str(const YAML::Node& n, const std::string& path) const;

  int64_t integer(const YAML::Node& n, const std::string& path) const;
  uint64_t uinteger(const YAML::Node& n, const std::string& path) const;
  double number(const YAML::Node& n, const std::string& path) const;
  bool boolean(const YAML::Node& n, const std::string& path) const;

  /// A Go duration string ("10s", "1m30s").
  int64_t duration_ns(const YAML::Node& n, const std::string& path) const;

  /// A list of scalars (`string_list_or_one`: a single scalar is a list of
  /// one, for `env_file`).
  std::vector<std::string> strings(const YAML::Node& n, const std::string& path,
                                   bool one_ok = false) const;

  /// docker's list_or_dict: a mapping (values scalars or null), or a list of
  /// `K=V` (`K` alone when `sep` absent). nullopt values: no value given.
  std::vector<std::pair<std::string, std::optional<std::string>>>
  list_or_dict(const YAML::Node& n, const std::string& path) const;

  const std::string& file() const {
    return file_;
  }

  int minor() const {
    return minor_;
  }

  const std::string& dir() const {
    return dir_;
  }

  const env_lookup& env() const {
    return env_;
  }

  void report_unsupported(const std::string& key) const {
    unsupported_.insert(key);
  }

  void report_deprecated(const std::string& key, const std::string& why) const {
    deprecated_[key] = why;
  }

private:
  std::string file_;
  int minor_;
  std::string dir_;
  const env_lookup& env_;
  std::set<std::string>& unsupported_;
  std::map<std::string, std::string>& deprecated_;
};

/// The text of the file at `path`; docker's `open PATH: no such file or
/// directory` when it cannot be read.
result<std::string> read_text_file(const std::string& path);

/// Reads service `name` (its mapping `n`) into `out`.
void read_service(const reader& r, const std::string& name,
                  const YAML::Node& key, const YAML::Node& n,
                  service_config& out);

/// Reads `deploy:` of service `path` into `out`.
void read_deploy(const reader& r, const YAML::Node& n, const std::string& path,
                 deploy_config& out);

/// Reads `healthcheck:`.
healthcheck_config read_healthcheck(const reader& r, const YAML::Node& n,
                                    const std::string& path);

/// Splits a command string into words as google/shlex does (docker's
/// ShellCommand): blanks separate, quotes group, backslash escapes.
/// nullopt when a quote is not closed.
std::optional<std::vector<std::string>> shell_split(const std::string& x);

/// Short-syntax ports: `[ip:][published[-end]:]target[-end][/proto]`.
/// Fails with docker's text on a bad spec (no location).
result<std::vector<port_config>> parse_short_ports(const std::string& spec);

} // namespace actorswarm::cli::compose
