#include "cli/mount_spec.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "cli/units.hpp"

namespace actorswarm::cli {

namespace {

std::string trim(const std::string& x) {
  auto lo = x.find_first_not_of(" \t\n\r\v\f");
  if (lo == std::string::npos)
    return {};
  auto hi = x.find_last_not_of(" \t\n\r\v\f");
  return x.substr(lo, hi - lo + 1);
}

std::string lower(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

failure csv_error(size_t column, bool quoted) {
  return fail(errc::invalid_spec,
              "parse error on line 1, column " + std::to_string(column) + ": "
                + (quoted ? "extraneous or missing \" in quoted-field"
                          : "bare \" in non-quoted-field"));
}

// Lexically cleaned, no trailing slash (Go's filepath.Clean).
std::string clean(const std::string& path) {
  auto out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out.empty() ? "." : out;
}

// docker: a relative source starting with "." is made absolute
// (filepath.Abs); other relative sources are volume names.
std::string source_path(const std::string& value) {
  if (value.empty() || value[0] == '/' || value[0] != '.')
    return value;
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  if (ec)
    return value;
  return clean((cwd / value).string());
}

// parseBoolValue: no value is true; only 1, true, 0, false.
result<bool> parse_bool_value(const std::string& key, const std::string& val,
                              bool has_value) {
  if (!has_value || val == "1" || val == "true")
    return true;
  if (val == "0" || val == "false")
    return false;
  return fail(errc::invalid_spec,
              "invalid value for '" + key + "': invalid boolean value (\"" + val
                + "\"): must be one of \"true\", \"1\", \"false\", or \"0\" "
                  "(default \"true\")");
}

bool is_bool_key(const std::string& key) {
  for (const char* k : {"readonly", "ro", "volume-nocopy", "bind-nonrecursive",
                        "bind-create-src"})
    if (key == k)
      return true;
  return false;
}

// docker's options the host runtime does not have.
bool is_unsupported_key(const std::string& key) {
  for (const char* k :
       {"bind-propagation", "bind-recursive", "bind-create-src",
        "volume-subpath", "volume-nocopy", "volume-label", "volume-driver",
        "volume-opt", "image-subpath", "tmpfs-size", "tmpfs-mode"})
    if (key == k)
      return true;
  return false;
}

status set_type(const std::string& val, pb::Mount& m) {
  auto t = lower(val);
  if (t == "bind") {
    m.set_type(pb::Mount::BIND);
  } else if (t == "volume") {
    m.set_type(pb::Mount::VOLUME);
  } else if (t == "tmpfs" || t == "npipe" || t == "cluster" || t == "image") {
    return fail(errc::invalid_spec,
                "mount type '" + t
                  + "' is not supported by the host runtime (only bind and "
                    "volume)");
  } else {
    return fail(errc::invalid_spec, "invalid mount config for type \"" + t
                                      + "\": mount type unknown");
  }
  return ok_status();
}

// One `key[=value]` field of a --mount value, in MountOpt.Set's order of
// checks.
status apply_field(const std::string& field, pb::Mount& m) {
  auto eq = field.find('=');
  bool has_value = eq != std::string::npos;
  auto key = field.substr(0, eq);
  auto val = has_value ? field.substr(eq + 1) : std::string{};
  if (auto k = trim(key); k != key)
    return fail(errc::invalid_spec, "invalid option '" + k + "' in '" + field
                                      + "': option should not have whitespace");
  if (has_value) {
    auto v = trim(val);
    if (v.empty())
      return fail(errc::invalid_spec,
                  "invalid value for '" + key + "': value is empty");
    if (v != val)
      return fail(errc::invalid_spec,
                  "invalid value for '" + key + "' in '" + field
                    + "': value should not have whitespace");
  }
  key = lower(key);
  if (!has_value && !is_bool_key(key))
    return fail(errc::invalid_spec,
                "invalid field '" + field + "' must be a key=value pair");
  if (key == "type")
    return set_type(val, m);
  if (key == "source" || key == "src") {
    m.set_source(source_path(val));
  } else if (key == "target" || key == "dst" || key == "destination") {
    m.set_target(val);
  } else if (key == "readonly" || key == "ro") {
    auto ro = parse_bool_value(key, val, has_value);
    if (!ro)
      return ro.error();
    m.set_read_only(*ro);
  } else if (key == "consistency") {
    // docker ignores it on Linux (a Docker Desktop option).
  } else if (key == "bind-nonrecursive") {
    return fail(errc::invalid_spec, "bind-nonrecursive is deprecated, use "
                                    "bind-recursive=disabled instead");
  } else if (is_unsupported_key(key)) {
    return fail(errc::invalid_spec,
                "mount option '" + key
                  + "' is not supported by the host runtime (only type, "
                    "source, target and readonly)");
  } else {
    return fail(errc::invalid_spec,
                "unknown option '" + key + "' in '" + field + "'");
  }
  return ok_status();
}

} // namespace

result<std::vector<std::string>> csv_record(const std::string& text) {
  std::vector<std::string> fields;
  size_t i = 0;
  // One pass over the text (every branch consumes at least one byte).
  while (true) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (true) {
        auto q = text.find('"', i);
        if (q == std::string::npos)
          return csv_error(text.size() + 1, true);
        field += text.substr(i, q - i);
        i = q + 1;
        if (i < text.size() && text[i] == '"') {
          field += '"';
          ++i;
        } else if (i == text.size() || text[i] == ',' || text[i] == '\n'
                   || (text[i] == '\r' && i + 1 < text.size()
                       && text[i + 1] == '\n')) {
          break;
        } else {
          return csv_error(i, true);
        }
      }
    } else {
      auto end = text.find_first_of(",\n", i);
      if (end == std::string::npos)
        end = text.size();
      field = text.substr(i, end - i);
      if (end < text.size() && text[end] == '\n' && !field.empty()
          && field.back() == '\r')
        field.pop_back();
      if (auto q = field.find('"'); q != std::string::npos)
        return csv_error(i + q + 1, false);
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= text.size() || text[i] != ',')
      break;
    ++i; // the comma; a trailing one makes an empty last field
  }
  return fields;
}

result<pb::Mount> parse_mount_opt(const std::string& flag,
                                  const std::string& value) {
  auto text = trim(value);
  if (text.empty())
    return bad_flag(flag, value, "value is empty");
  auto fields = csv_record(text);
  if (!fields)
    return bad_flag(flag, value, fields.error().message);
  pb::Mount m;
  m.set_type(pb::Mount::VOLUME); // docker's default
  for (const auto& field : *fields)
    if (auto st = apply_field(field, m); !st)
      return bad_flag(flag, value, st.error().message);
  if (m.target().empty())
    return bad_flag(flag, value, "target is required");
  return m;
}

status update_mounts(google::protobuf::RepeatedPtrField<pb::Mount>& mounts,
                     const std::vector<std::string>& add,
                     const std::vector<std::string>& rm) {
  if (add.empty() && rm.empty())
    return ok_status();
  std::map<std::string, pb::Mount> by_target;
  for (const auto& x : add) {
    auto m = parse_mount_opt("--mount-add", x);
    if (!m)
      return m.error();
    if (!by_target.emplace(clean(m->target()), *m).second)
      return fail(errc::invalid_spec, "duplicate mount target");
  }
  for (const auto& m : mounts)
    by_target.emplace(clean(m.target()), m);
  std::set<std::string> removed;
  for (const auto& x : rm) {
    removed.insert(x);
    removed.insert(clean(x)); // the daemon stores targets cleaned
  }
  std::vector<pb::Mount> out;
  for (auto& [target, m] : by_target)
    if (removed.count(target) == 0)
      out.push_back(std::move(m));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.source() == b.source())
      return a.target() < b.target();
    return a.source() < b.source();
  });
  mounts.Clear();
  for (auto& m : out)
    *mounts.Add() = std::move(m);
  return ok_status();
}

} // namespace actorswarm::cli
