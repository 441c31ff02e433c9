#include "cli/compose/reader.hpp"

#include <algorithm>
#include <cctype>

#include "cli/compose/interpolation.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli::compose {

namespace {

// Appends the entries of `n` not in `seen` (a `<<` merge source: explicit
// keys of the mapping that merges it win).
void add_merged(const YAML::Node& n,
                std::vector<std::pair<YAML::Node, YAML::Node>>& out,
                std::set<std::string>& seen) {
  if (!n.IsMap())
    return;
  for (auto it = n.begin(); it != n.end(); ++it)
    if (it->first.IsScalar() && seen.insert(it->first.Scalar()).second)
      out.emplace_back(it->first, it->second);
}

// docker's types.DeprecatedProperties.
std::string deprecated_reason(const std::string& key) {
  if (key == "container_name")
    return "Setting the container name is not supported.";
  return "Exposing ports is unnecessary - services on the same network can "
         "access each other's containers on any port.";
}

std::string lower(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

} // namespace

std::string reader::where(const YAML::Node& n) const {
  auto m = n.Mark();
  if (m.line < 0)
    return file_;
  return file_ + ":" + std::to_string(m.line + 1) + ":"
         + std::to_string(m.column + 1);
}

void reader::fail_at(const YAML::Node& n, const std::string& msg) const {
  throw compose_error(where(n) + ": " + msg);
}

std::vector<std::pair<YAML::Node, YAML::Node>>
reader::free_entries(const YAML::Node& n, const std::string& path) const {
  want_map(n, path);
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  std::map<std::string, int> seen_at;
  std::vector<YAML::Node> merges;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar())
      fail_at(it->first, path + " keys must be strings");
    auto key = it->first.Scalar();
    if (key == "<<") {
      merges.push_back(it->second);
      continue;
    }
    auto [at, fresh] = seen_at.emplace(key, it->first.Mark().line + 1);
    if (!fresh)
      fail_at(it->first, "mapping key \"" + key + "\" already defined at line "
                           + std::to_string(at->second));
    out.emplace_back(it->first, it->second);
  }
  std::set<std::string> seen;
  for (auto& [k, v] : seen_at)
    seen.insert(k);
  for (auto& m : merges) {
    if (m.IsSequence())
      for (auto x : m)
        add_merged(x, out, seen);
    else
      add_merged(m, out, seen);
  }
  return out;
}

std::vector<std::pair<YAML::Node, YAML::Node>>
reader::entries(const YAML::Node& n, const std::string& path,
                const std::vector<key_rule>& rules,
                const std::string& report_prefix, int extensions_since) const {
  auto xs = free_entries(n, path);
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  for (auto& [k, v] : xs) {
    auto key = k.Scalar();
    if (key.rfind("x-", 0) == 0 && minor_ >= extensions_since)
      continue;
    auto rule = std::find_if(rules.begin(), rules.end(),
                             [&](const key_rule& r) { return key == r.name; });
    if (rule == rules.end() || rule->since_minor > minor_)
      fail_at(k, path + " Additional property " + key + " is not allowed");
    if (rule->kind == key_kind::unsupported) {
      report_unsupported(report_prefix + key);
      continue;
    }
    if (rule->kind == key_kind::deprecated) {
      report_deprecated(key, deprecated_reason(key));
      continue;
    }
    out.emplace_back(k, v);
  }
  return out;
}

void reader::want_map(const YAML::Node& n, const std::string& path) const {
  if (!n.IsMap())
    fail_at(n, path + " must be a mapping");
}

std::string reader::str(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar())
    fail_at(n, path + " must be a string");
  auto v = substitute(n.Scalar(), env_);
  if (!v)
    fail_at(n, interpolation_error(path, v.error().message));
  return *v;
}

int64_t reader::integer(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar())
    fail_at(n, path + " must be a integer");
  auto x = str(n, path);
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(x, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != x.size())
    fail_at(n, path + " must be a integer");
  return v;
}

uint64_t reader::uinteger(const YAML::Node& n, const std::string& path) const {
  auto v = integer(n, path);
  if (v < 0)
    fail_at(n, path + " must be greater than or equal to 0");
  return static_cast<uint64_t>(v);
}

double reader::number(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar())
    fail_at(n, path + " must be a number");
  auto x = str(n, path);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(x, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != x.size())
    fail_at(n, path + " must be a number");
  return v;
}

bool reader::boolean(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar())
    fail_at(n, path + " must be a boolean");
  auto x = lower(str(n, path));
  // YAML's true/false; after interpolation also docker's toBoolean words.
  if (x == "true" || x == "yes" || x == "on" || x == "y")
    return true;
  if (x == "false" || x == "no" || x == "off" || x == "n")
    return false;
  fail_at(n, path + " must be a boolean");
}

int64_t reader::duration_ns(const YAML::Node& n,
                            const std::string& path) const {
  auto x = str(n, path);
  auto d = parse_duration_ns(x);
  if (!d)
    fail_at(n, path + " Does not match format 'duration'");
  return *d;
}

std::vector<std::string> reader::strings(const YAML::Node& n,
                                         const std::string& path,
                                         bool one_ok) const {
  if (one_ok && n.IsScalar())
    return {str(n, path)};
  if (!n.IsSequence())
    fail_at(n,
            path + (one_ok ? " must be a string or list" : " must be a list"));
  std::vector<std::string> out;
  size_t i = 0;
  for (auto x : n)
    out.push_back(str(x, path + "." + std::to_string(i++)));
  return out;
}

std::vector<std::pair<std::string, std::optional<std::string>>>
reader::list_or_dict(const YAML::Node& n, const std::string& path) const {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  if (n.IsSequence()) {
    size_t i = 0;
    for (auto x : n) {
      auto kv = str(x, path + "." + std::to_string(i++));
      auto eq = kv.find('=');
      if (eq == std::string::npos)
        out.emplace_back(kv, std::nullopt);
      else
        out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return out;
  }
  if (!n.IsMap())
    fail_at(n, path + " must be a mapping or list");
  for (auto& [k, v] : free_entries(n, path)) {
    auto key = k.Scalar();
    if (v.IsNull())
      out.emplace_back(key, std::nullopt);
    else
      out.emplace_back(key, str(v, path + "." + key));
  }
  return out;
}

std::optional<std::vector<std::string>> shell_split(const std::string& x) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    char c = x[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '\\' && i + 1 < x.size()) {
      char n = x[++i];
      in_word = true;
      // In double quotes a backslash escapes only these (POSIX).
      if (quote == '"' && n != '"' && n != '\\' && n != '$' && n != '`'
          && n != '\n') {
        word += '\\';
        word += n;
      } else if (n != '\n') {
        word += n;
      }
      continue;
    }
    if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word)
        out.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (quote != 0)
    return std::nullopt;
  if (in_word)
    out.push_back(word);
  return out;
}

} // namespace actorswarm::cli::compose
