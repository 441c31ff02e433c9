#pragma once

// The Go-template subset of `--format` (Go's text/template with docker's
// functions): text, actions `{{.A.B}}`, `{{$x.A}}`, pipelines
// `{{.A | lower}}`, `{{if}}`/`{{else}}`/`{{else if}}`, `{{range}}` (with
// `$v :=` or `$k, $v :=`), `{{with}}`, `{{end}}`, trim markers `{{-`/`-}}`,
// and the functions json, index, len, join, split, lower, upper, title,
// pad, truncate, print, println, printf (%s %d %v %q), not, and, or, eq,
// ne, lt, le, gt, ge. Values are JSON: objects are Go maps (printed
// `map[k:v]`, keys sorted), arrays slices (`[a b]`), null Go's nil
// (`<no value>`). Go's errors for a template it cannot parse or run. Pure.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/result.hpp"

namespace actorswarm::cli::output {

namespace tmpl {
struct node;
} // namespace tmpl

/// A parsed template; cheap to copy (shares the tree).
struct parsed_template {
  std::shared_ptr<const std::vector<tmpl::node>> nodes;
};

/// Parses `tmpl`. Failures carry Go's message behind docker's prefix:
/// `template parsing error: template: :1: unclosed action`, `... :1:
/// function "foo" not defined`, `... :1: unexpected EOF` (no `{{end}}`).
result<parsed_template> parse_template(const std::string& tmpl);

/// Runs `t` on `dot` as Go's text/template with `missingkey=error` runs it
/// on docker's raw JSON: a field an object does not have fails
/// `template: :1:2: executing "" at <.Foo>: map has no entry for key
/// "Foo"`; a field of a string, number, bool or list: `... can't evaluate
/// field Foo in type string`; of null: `... nil pointer evaluating
/// interface {}.Foo`. With `lenient`, a missing field (or one of null)
/// reads as null, printed "<no value>" (table headers hold only the
/// columns). Loops are bounded by the data.
result<std::string> execute_template(const parsed_template& t,
                                     const nlohmann::ordered_json& dot,
                                     bool lenient = false);

/// The same on a listing row (converted once).
result<std::string> execute_template(const parsed_template& t,
                                     const nlohmann::json& dot,
                                     bool lenient = false);

/// parse_template, then execute_template on `dot`.
result<std::string> expand_template(const std::string& tmpl,
                                    const nlohmann::ordered_json& dot);

/// A value as Go's fmt prints it (`%v`): strings bare, null `<no value>`,
/// arrays `[a b]`, objects `map[k:v]` with sorted keys, numbers and bools
/// as JSON writes them.
std::string go_text(const nlohmann::ordered_json& x);

} // namespace actorswarm::cli::output
