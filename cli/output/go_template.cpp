#include "cli/output/go_template.hpp"

#include <algorithm>
#include <cctype>

#include "cli/output/table.hpp"

namespace actorswarm::cli::output {

namespace {

constexpr const char* space_chars = " \t\r\n";

std::string trim_space(const std::string& x) {
  auto b = x.find_first_not_of(space_chars);
  if (b == std::string::npos)
    return "";
  auto e = x.find_last_not_of(space_chars);
  return x.substr(b, e - b + 1);
}

// Go's error position: 1-based line and the byte offset within it.
std::pair<size_t, size_t> position_of(const std::string& tmpl, size_t pos) {
  auto line = 1
              + static_cast<size_t>(std::count(tmpl.begin(), tmpl.begin() + pos,
                                               '\n'));
  auto nl = pos == 0 ? std::string::npos : tmpl.rfind('\n', pos - 1);
  return {line, nl == std::string::npos ? pos : pos - nl - 1};
}

template_piece text_piece(std::string x) {
  template_piece p;
  p.text = std::move(x);
  return p;
}

failure parse_error(size_t line, const std::string& what) {
  return fail(errc::invalid_spec, "template parsing error: template: :"
                                    + std::to_string(line) + ": " + what);
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// "." or ".A.B": segments of letters, digits and '_'.
bool is_field_chain(const std::string& x) {
  if (x == ".")
    return true;
  if (x.size() < 2 || x[0] != '.' || x.back() == '.')
    return false;
  for (size_t i = 1; i < x.size(); ++i)
    if (!is_ident_char(x[i]) && !(x[i] == '.' && x[i - 1] != '.'))
      return false;
  return true;
}

// Docker's field names are Go's (`ID`, `Spec`, `ManagerStatus`); ours are
// proto's (`id`, `spec`, `manager_status`): compare without case and '_'.
std::string fold_key(const std::string& key) {
  std::string out;
  for (char c : key)
    if (c != '_')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The member of object `x` named `key`: exact, else the one whose folded
// name matches (so `{{.Spec.Name}}` reads `spec.name`); null when none.
const nlohmann::json* member(const nlohmann::json& x, const std::string& key) {
  if (auto i = x.find(key); i != x.end())
    return &*i;
  auto want = fold_key(key);
  for (auto i = x.begin(); i != x.end(); ++i)
    if (fold_key(i.key()) == want)
      return &*i;
  return nullptr;
}

failure exec_error(const template_piece& p, const std::string& what) {
  return fail(errc::invalid_spec, "template: :" + std::to_string(p.line) + ":"
                                    + std::to_string(p.col)
                                    + ": executing \"\" at <" + p.path
                                    + ">: " + what);
}

// Go template field chain: "." is the row, ".A.B" is row["A"]["B"].
result<nlohmann::json> lookup(const nlohmann::json& row,
                              const template_piece& p, bool lenient) {
  const nlohmann::json* cur = &row;
  const auto& path = p.path;
  size_t pos = 1;
  // Each step consumes one path segment: bounded by the path's length.
  while (pos < path.size()) {
    auto dot = path.find('.', pos);
    auto key = path.substr(pos, dot == std::string::npos ? dot : dot - pos);
    if (cur->is_null())
      return nlohmann::json{};
    if (!cur->is_object())
      return exec_error(p, "can't evaluate field " + key + " in type "
                             + cur->type_name());
    cur = member(*cur, key);
    if (cur == nullptr) {
      if (lenient)
        return nlohmann::json{};
      return exec_error(p, "map has no entry for key \"" + key + "\"");
    }
    pos = dot == std::string::npos ? path.size() : dot + 1;
  }
  return *cur;
}

// The action between `{{` and `}}` that starts at tmpl[open].
result<template_piece> parse_action(const std::string& tmpl, size_t open,
                                    size_t close) {
  template_piece p;
  p.action = true;
  auto inner = tmpl.substr(open + 2, close - open - 2);
  auto body = trim_space(inner);
  auto start = open + 2 + inner.find_first_not_of(space_chars);
  if (body.rfind("json", 0) == 0 && body.size() > 4
      && std::isspace(static_cast<unsigned char>(body[4])) != 0) {
    p.as_json = true;
    auto rest = body.substr(4);
    start += 4 + rest.find_first_not_of(space_chars);
    body = trim_space(rest);
  }
  auto [line, col] = position_of(tmpl, std::min(start, close));
  if (!is_field_chain(body))
    return parse_error(line, "unsupported action \"{{" + inner
                               + "}}\": --format takes {{.Field}}, "
                                 "{{.A.B}} and {{json .Field}}");
  p.path = body;
  p.line = line;
  p.col = col;
  return p;
}

} // namespace

result<parsed_template> parse_template(const std::string& tmpl) {
  parsed_template out;
  size_t pos = 0;
  // Each iteration consumes one action or the rest: bounded.
  while (pos < tmpl.size()) {
    auto open = tmpl.find("{{", pos);
    if (open == std::string::npos) {
      out.push_back(text_piece(tmpl.substr(pos)));
      break;
    }
    if (open > pos)
      out.push_back(text_piece(tmpl.substr(pos, open - pos)));
    auto close = tmpl.find("}}", open + 2);
    if (close == std::string::npos)
      return parse_error(position_of(tmpl, open).first, "unclosed action");
    auto p = parse_action(tmpl, open, close);
    if (!p)
      return p.error();
    out.push_back(std::move(*p));
    pos = close + 2;
  }
  return out;
}

result<std::string> execute_template(const parsed_template& t,
                                     const nlohmann::json& row, bool lenient) {
  std::string out;
  for (const auto& p : t) {
    if (!p.action) {
      out += p.text;
      continue;
    }
    auto v = lookup(row, p, lenient);
    if (!v)
      return v.error();
    out += p.as_json ? v->dump() : value_text(*v);
  }
  return out;
}

result<std::string> expand_template(const std::string& tmpl,
                                    const nlohmann::json& row) {
  auto t = parse_template(tmpl);
  if (!t)
    return t.error();
  return execute_template(*t, row);
}

} // namespace actorswarm::cli::output
