#include "cli/output/table.hpp"

#include <algorithm>
#include <cctype>

#include "cli/output/go_template.hpp"

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

result<std::string> render_template_table(const listing& l,
                                          const std::string& tmpl) {
  auto t = parse_template(tmpl);
  if (!t)
    return t.error();
  nlohmann::json header = nlohmann::json::object();
  for (const auto& c : l.columns)
    header[c.key] = c.header;
  std::vector<std::vector<std::string>> rows;
  auto head = execute_template(*t, header, true);
  if (!head)
    return head.error();
  rows.push_back(split_tabs(*head));
  for (const auto& r : l.rows) {
    auto x = execute_template(*t, r);
    if (!x)
      return x.error();
    rows.push_back(split_tabs(*x));
  }
  return render_table(rows);
}

// TEMPLATE once per object, each on its own line.
result<std::string> render_each(const std::vector<nlohmann::json>& xs,
                                const std::string& tmpl) {
  auto t = parse_template(tmpl);
  if (!t)
    return t.error();
  std::string out;
  for (const auto& x : xs) {
    auto line = execute_template(*t, x);
    if (!line)
      return line.error();
    out += unescape_tabs(*line) + "\n";
  }
  return out;
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

result<std::string> render_listing(const listing& l, const std::string& format,
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
  return render_each(l.rows, format);
}

result<std::string> render_inspect(const std::vector<inspect_object>& objects,
                                   const std::string& format) {
  auto f = trim(format);
  std::vector<nlohmann::ordered_json> raws;
  for (const auto& x : objects)
    raws.push_back(x.raw);
  if (f.empty())
    return nlohmann::ordered_json(raws).dump(4) + "\n";
  if (f == "json")
    return nlohmann::ordered_json(raws).dump() + "\n";
  auto t = parse_template(format);
  if (!t)
    return t.error();
  std::string out;
  for (const auto& x : objects) {
    // docker's TemplateInspector runs the typed value, else the raw JSON
    // with missingkey=error, whose error is the one reported. Raw first
    // here: where both run they print alike, except that `json` of a typed
    // struct is Go's omitempty encoding, which is the raw view, not ours.
    auto line = execute_template(*t, x.raw);
    if (!line && !x.typed.is_null()) {
      auto typed = execute_template(*t, x.typed);
      if (typed)
        line = std::move(typed);
    }
    if (!line)
      return fail(line.error().code,
                  "template parsing error: " + line.error().message);
    out += *line + "\n";
  }
  // docker's TemplateInspector.Flush: an empty line when nothing matched.
  return objects.empty() ? "\n" : out;
}

} // namespace actorswarm::cli::output
