#include "actors/scheduler/constraint.hpp"

#include <cctype>

namespace actorswarm::scheduler {

namespace {

constexpr const char* node_label_prefix = "node.labels.";
constexpr const char* engine_label_prefix = "engine.labels.";

std::string trim(const std::string& x) {
  size_t first = 0;
  size_t last = x.size();
  while (first < last && std::isspace(static_cast<unsigned char>(x[first])))
    ++first;
  while (last > first && std::isspace(static_cast<unsigned char>(x[last - 1])))
    --last;
  return x.substr(first, last - first);
}

bool istarts_with(const std::string& x, const std::string& prefix) {
  return x.size() >= prefix.size()
         && iequals(x.substr(0, prefix.size()), prefix);
}

// SwarmKit's valuePattern: letters, digits, whitespace and : - _ . * ( ) ? +
// [ ] \ ^ $ | /. No = ! < > ~, so future operators stay unambiguous.
bool valid_value(const std::string& x) {
  static const std::string extra = ":-_.*()?+[]\\^$|/ \t";
  if (x.empty())
    return false;
  for (char ch : x) {
    auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && extra.find(ch) == std::string::npos)
      return false;
  }
  return true;
}

// Label names: letters, digits and - _ . (SwarmKit's key pattern).
bool valid_label(const std::string& x) {
  if (x.empty())
    return false;
  for (char ch : x) {
    auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && ch != '-' && ch != '_' && ch != '.')
      return false;
  }
  return true;
}

failure bad(const std::string& expr, const std::string& why) {
  return fail(errc::invalid_spec,
              "invalid constraint expression \"" + expr + "\": " + why);
}

// Maps the key text onto `out`; false when the key is unknown.
bool parse_key(const std::string& key, constraint& out) {
  struct fixed {
    const char* text;
    constraint_key key;
  };
  static const fixed keys[] = {
    {"node.id", constraint_key::node_id},
    {"node.hostname", constraint_key::hostname},
    {"node.role", constraint_key::role},
    {"node.platform.os", constraint_key::platform_os},
    {"node.platform.arch", constraint_key::platform_arch},
  };
  for (const auto& k : keys) {
    if (iequals(key, k.text)) {
      out.key = k.key;
      return true;
    }
  }
  const std::string node_prefix = node_label_prefix;
  const std::string engine_prefix = engine_label_prefix;
  if (key.size() > node_prefix.size() && istarts_with(key, node_prefix)) {
    out.key = constraint_key::node_label;
    out.label = key.substr(node_prefix.size());
    return true;
  }
  if (key.size() > engine_prefix.size() && istarts_with(key, engine_prefix)) {
    out.key = constraint_key::engine_label;
    out.label = key.substr(engine_prefix.size());
    return true;
  }
  return false;
}

const std::string&
label_or_empty(const google::protobuf::Map<std::string, std::string>& labels,
               const std::string& name) {
  static const std::string empty;
  auto i = labels.find(name);
  return i == labels.end() ? empty : i->second;
}

} // namespace

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

result<constraint> parse_constraint(const std::string& expr) {
  // SwarmKit tries "==" before "!=", so "a==b!=c" has the value "b!=c",
  // which the value check then refuses.
  constraint out;
  auto pos = expr.find("==");
  out.op = constraint_op::eq;
  if (pos == std::string::npos) {
    pos = expr.find("!=");
    out.op = constraint_op::neq;
  }
  if (pos == std::string::npos)
    return bad(expr, "expected == or !=");
  auto key = trim(expr.substr(0, pos));
  out.value = trim(expr.substr(pos + 2));
  if (key.empty())
    return bad(expr, "missing key before the operator");
  if (!parse_key(key, out))
    return bad(expr, "unknown key \"" + key
                       + "\" (expected node.id, node.hostname, node.role, "
                         "node.platform.os, node.platform.arch, "
                         "node.labels.<name> or engine.labels.<name>)");
  if (!out.label.empty() && !valid_label(out.label))
    return bad(expr, "invalid label name \"" + out.label + "\"");
  if (out.value.empty())
    return bad(expr, "missing value after the operator");
  if (!valid_value(out.value))
    return bad(expr, "invalid value \"" + out.value + "\"");
  if (out.key == constraint_key::role && !iequals(out.value, "manager")
      && !iequals(out.value, "worker"))
    return bad(expr, "node.role must be manager or worker");
  return out;
}

result<std::vector<constraint>>
parse_constraints(const std::vector<std::string>& exprs) {
  std::vector<constraint> out;
  out.reserve(exprs.size());
  for (const auto& expr : exprs) {
    auto c = parse_constraint(expr);
    if (!c)
      return c.error();
    out.push_back(std::move(*c));
  }
  return out;
}

bool matches(const constraint& c, const pb::Node& node) {
  const std::string* actual = nullptr;
  std::string role_name;
  switch (c.key) {
    case constraint_key::node_id:
      actual = &node.id();
      break;
    case constraint_key::hostname:
      actual = &node.description().hostname();
      break;
    case constraint_key::role:
      role_name = pb::NodeSpec::Role_Name(node.role());
      actual = &role_name;
      break;
    case constraint_key::platform_os:
      actual = &node.description().os();
      break;
    case constraint_key::platform_arch:
      actual = &node.description().architecture();
      break;
    case constraint_key::node_label:
      actual = &label_or_empty(node.spec().labels(), c.label);
      break;
    case constraint_key::engine_label:
      actual = &label_or_empty(node.description().engine_labels(), c.label);
      break;
  }
  // Docker compares values case-insensitively (strings.EqualFold).
  bool equal = actual != nullptr && iequals(*actual, c.value);
  return c.op == constraint_op::eq ? equal : !equal;
}

bool matches(const std::vector<constraint>& constraints, const pb::Node& node) {
  for (const auto& c : constraints)
    if (!matches(c, node))
      return false;
  return true;
}

bool spread_value(const std::string& descriptor, const pb::Node& node,
                  std::string& value) {
  const std::string node_prefix = node_label_prefix;
  const std::string engine_prefix = engine_label_prefix;
  if (descriptor.size() > node_prefix.size()
      && istarts_with(descriptor, node_prefix)) {
    value = label_or_empty(node.spec().labels(),
                           descriptor.substr(node_prefix.size()));
    return true;
  }
  if (descriptor.size() > engine_prefix.size()
      && istarts_with(descriptor, engine_prefix)) {
    value = label_or_empty(node.description().engine_labels(),
                           descriptor.substr(engine_prefix.size()));
    return true;
  }
  return false;
}

} // namespace actorswarm::scheduler
