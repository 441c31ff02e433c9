#include "cli/output/table.hpp"

#include <algorithm>
#include <cctype>

namespace actorswarm::cli::output {

namespace {

constexpr size_t tab_minwidth = 10;
constexpr size_t tab_padding = 3;

// Go's tabwriter counts runes: skip UTF-8 continuation bytes.
size_t text_width(const std::string& x) {
  return static_cast<size_t>(std::count_if(x.begin(), x.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string trim(const std::string& x) {
  auto b = x.find_first_not_of(' ');
  if (b == std::string::npos)
    return "";
  auto e = x.find_last_not_of(' ');
  return x.substr(b, e - b + 1);
}

// Replaces a literal backslash-t (as typed in a shell) with a tab, as docker.
std::string unescape_tabs(std::string x) {
  for (size_t pos = x.find("\\t"); pos != std::string::npos;
       pos = x.find("\\t", pos + 1))
    x.replace(pos, 2, "\t");
  return x;
}

std::vector<std::string> split_tabs(const std::string& x) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= x.size(); ++i) {
    if (i == x.size() || x[i] == '\t') {
      out.push_back(x.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string cell_of(const column& c, const nlohmann::json& row) {
  if (c.cell)
    return c.cell(row);
  return row.contains(c.key) ? value_text(row.at(c.key)) : "";
}

std::string render_default_table(const listing& l) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(l.rows.size() + 1);
  std::vector<std::string> header;
  for (const auto& c : l.columns)
    header.push_back(c.header);
  rows.push_back(std::move(header));
  for (const auto& r : l.rows) {
    std::vector<std::string> cells;
    for (const auto& c : l.columns)
      cells.push_back(cell_of(c, r));
    rows.push_back(std::move(cells));
  }
  return render_table(rows);
}

std::string render_template_table(const listing& l, const std::string& tmpl) {
  nlohmann::json header = nlohmann::json::object();
  for (const auto& c : l.columns)
    header[c.key] = c.header;
  std::vector<std::vector<std::string>> rows;
  rows.push_back(split_tabs(expand_template(tmpl, header)));
  for (const auto& r : l.rows)
    rows.push_back(split_tabs(expand_template(tmpl, r)));
  return render_table(rows);
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
  if (!x.is_object())
    return nullptr;
  if (auto i = x.find(key); i != x.end())
    return &*i;
  auto want = fold_key(key);
  for (auto i = x.begin(); i != x.end(); ++i)
    if (fold_key(i.key()) == want)
      return &*i;
  return nullptr;
}

// Go template field chain: "." is the row, ".A.B" is row["A"]["B"].
nlohmann::json lookup(const nlohmann::json& row, const std::string& path) {
  if (path.empty() || path[0] != '.')
    return nullptr;
  const nlohmann::json* cur = &row;
  size_t pos = 1;
  // Each step consumes one path segment: bounded by the path's length.
  while (pos < path.size()) {
    auto dot = path.find('.', pos);
    auto key = path.substr(pos, dot == std::string::npos ? dot : dot - pos);
    cur = member(*cur, key);
    if (cur == nullptr)
      return nullptr;
    pos = dot == std::string::npos ? path.size() : dot + 1;
  }
  return *cur;
}

} // namespace

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths.size() <= i)
        widths.push_back(tab_minwidth);
      widths[i] = std::max(widths[i], text_width(row[i]) + tab_padding);
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size())
        out.append(widths[i] - text_width(row[i]), ' ');
    }
    out += '\n';
  }
  return out;
}

std::string value_text(const nlohmann::json& x) {
  if (x.is_string())
    return x.get<std::string>();
  if (x.is_null())
    return "<no value>";
  return x.dump();
}

std::string expand_template(const std::string& tmpl,
                            const nlohmann::json& row) {
  std::string out;
  size_t pos = 0;
  // Each iteration consumes at least one action or the rest: bounded.
  while (pos < tmpl.size()) {
    auto open = tmpl.find("{{", pos);
    auto close = open == std::string::npos ? open : tmpl.find("}}", open);
    if (close == std::string::npos) {
      out += tmpl.substr(pos);
      break;
    }
    out += tmpl.substr(pos, open - pos);
    auto action = trim(tmpl.substr(open + 2, close - open - 2));
    bool as_json = action.rfind("json ", 0) == 0;
    if (as_json)
      action = trim(action.substr(5));
    auto value = lookup(row, action);
    out += as_json ? value.dump() : value_text(value);
    pos = close + 2;
  }
  return out;
}

std::string render_listing(const listing& l, const std::string& format,
                           bool quiet) {
  std::string out;
  if (quiet) {
    for (const auto& r : l.rows)
      out += (r.contains("ID") ? value_text(r.at("ID")) : "") + "\n";
    return out;
  }
  auto f = trim(format);
  if (f.empty() || f == "table")
    return render_default_table(l);
  if (f == "json" || f == "{{json .}}") {
    for (const auto& r : l.rows)
      out += r.dump() + "\n";
    return out;
  }
  if (f.rfind("table ", 0) == 0)
    return render_template_table(l, unescape_tabs(f.substr(6)));
  for (const auto& r : l.rows)
    out += unescape_tabs(expand_template(format, r)) + "\n";
  return out;
}

std::string render_inspect(const std::vector<nlohmann::json>& objects,
                           const std::string& format) {
  auto f = trim(format);
  if (f.empty() || f == "json")
    return nlohmann::json(objects).dump(4) + "\n";
  std::string out;
  for (const auto& x : objects)
    out += unescape_tabs(expand_template(format, x)) + "\n";
  return out;
}

} // namespace actorswarm::cli::output
