#pragma once

// The Go-template subset of `--format` (docker's formatter package): text
// with actions `{{.Field}}`, `{{.A.B}}`, `{{json .}}` and `{{json .Field}}`,
// read from a JSON object, and Go's errors for a template it cannot parse or
// evaluate. Pure: no IO.

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/result.hpp"

namespace actorswarm::cli::output {

/// One piece of a parsed template: literal text or an action.
struct template_piece {
  /// Literal text; empty for an action.
  std::string text;
  bool action = false;
  /// `{{json .X}}`: the value as compact JSON.
  bool as_json = false;
  /// The field chain of an action: "." or ".A.B".
  std::string path;
  /// Where the field chain starts, for errors: line (1-based) and Go's
  /// column (the byte offset within that line).
  size_t line = 1;
  size_t col = 0;
};

using parsed_template = std::vector<template_piece>;

/// Parses `tmpl`. An action without its `}}` fails with docker's line
/// `template parsing error: template: :1: unclosed action`; an action that
/// is neither a field chain nor `json` of one fails naming the action (the
/// subset has no functions, pipelines or control structures).
result<parsed_template> parse_template(const std::string& tmpl);

/// Evaluates `t` on `row`. Field names match exactly, else ignoring case and
/// '_' (docker's `{{.Spec.Name}}` reads proto's `spec.name`). A null on the
/// way reads "<no value>". A field an object does not have fails as Go's
/// does on a map: `template: :1:2: executing "" at <.Foo>: map has no entry
/// for key "Foo"`; a field of a string, number, bool or list: `... can't
/// evaluate field Foo in type string`. With `lenient`, a missing field reads
/// "<no value>" instead (table headers, which hold only the columns).
result<std::string> execute_template(const parsed_template& t,
                                     const nlohmann::json& row,
                                     bool lenient = false);

/// parse_template, then execute_template on `row`.
result<std::string> expand_template(const std::string& tmpl,
                                    const nlohmann::json& row);

} // namespace actorswarm::cli::output
