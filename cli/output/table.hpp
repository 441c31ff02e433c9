#pragma once

// Table and row output as docker prints it: Go's text/tabwriter with docker's
// settings (minwidth 10, padding 3, spaces), and the `--format` flag:
// `table` (default), `json` (one JSON document per row and line), or a small
// Go-template subset (`{{.Name}}`, `{{json .}}`, `table {{.ID}}\t{{.Name}}`).

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/output/go_template.hpp"
#include "messages/result.hpp"

namespace actorswarm::cli::output {

/// Renders rows (first row: header) like tabwriter.NewWriter(w, 10, 1, 3,
/// ' ', 0): every cell but a row's last is padded with spaces to its column
/// width = max(10, widest cell + 3). Widths count UTF-8 code points. Each row
/// ends with '\n'.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

/// One column of a listing: its template key (docker's: `ID`, `Name`, ...),
/// its header and, optionally, how its table cell differs from the value.
struct column {
  std::string key;
  std::string header;
  std::function<std::string(const nlohmann::json&)> cell; // may be empty
};

/// A listing: columns plus one JSON object per row, keyed by column keys
/// (and possibly more keys, e.g. `Self`, shown only in JSON).
struct listing {
  std::vector<column> columns;
  std::vector<nlohmann::json> rows;
};

/// Text of a JSON value as a template prints it: strings bare, others dumped.
std::string value_text(const nlohmann::json& x);

/// Renders `l` per `format`: "" or "table" -> the table; "json" or
/// "{{json .}}" -> one compact JSON object per line; "table TEMPLATE" ->
/// a table of the template's columns (split at tabs or a literal `\t`);
/// anything else -> TEMPLATE once per row (go_template.hpp). With `quiet`,
/// only the ID column. A template that does not parse, or names a field a
/// row does not have, fails with Go's error line and nothing rendered.
result<std::string> render_listing(const listing& l, const std::string& format,
                                   bool quiet);

/// One object of `inspect`, in docker's two views (docker_json.hpp): the
/// API's JSON (`raw`: what is printed) and the typed value, where every
/// field of docker's type is there (`typed`; null: none but raw).
struct inspect_object {
  nlohmann::ordered_json raw;
  nlohmann::ordered_json typed;
};

/// `inspect --format` as docker's inspect package: "" -> the 4-space
/// indented array of the raw objects; "json" -> the compact array on one
/// line; otherwise TEMPLATE once per object, on its raw view, then (if
/// that fails) on its typed view (a field empty in the JSON reads its zero
/// value, as in docker's typed run); when both fail, the raw view's error
/// is the line (`template parsing error: template: :1:2: executing "" at
/// <.Foo>: map has no entry for key "Foo"`), nothing rendered.
result<std::string> render_inspect(const std::vector<inspect_object>& objects,
                                   const std::string& format);

} // namespace actorswarm::cli::output
