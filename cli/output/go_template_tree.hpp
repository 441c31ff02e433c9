#pragma once

// The parse tree of a `--format` template (go_template.hpp): Go's
// text/template tree reduced to what the subset runs. Built by
// go_template_parse.cpp, run by go_template.cpp. Pure data.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace actorswarm::cli::output::tmpl {

/// What a template reads and makes: JSON values, objects in their order.
using value = nlohmann::ordered_json;

struct pipeline;

/// One argument of a command: `.`, `.A.B`, `$x.A`, a literal, a function
/// name or `(pipeline).A`.
struct operand {
  enum class kind { dot, field, variable, literal, function, nested };
  kind k = kind::dot;
  /// The variable (`$`, `$x`) or the function (`index`).
  std::string name;
  /// The field chain after the base (`.A.B` -> {A, B}).
  std::vector<std::string> fields;
  value literal;
  std::shared_ptr<const pipeline> sub;
  /// Source text and Go's position (line 1-based, byte column 0-based):
  /// the `<.Spec.Nope>` and `:1:8` of an execution error.
  std::string text;
  size_t line = 1;
  size_t col = 0;
};

/// A function call (first argument a function name) or one operand.
struct command {
  std::vector<operand> args;
};

/// `cmd | cmd ...`, optionally declaring variables (`$x :=`, `$k, $v :=`).
struct pipeline {
  std::vector<std::string> decl;
  std::vector<command> cmds;
};

/// Text, `{{pipeline}}`, or a control structure with its bodies.
struct node {
  enum class kind { text, action, if_, range, with };
  kind k = kind::text;
  std::string text;
  pipeline pipe;
  std::vector<node> list;
  std::vector<node> else_list;
};

} // namespace actorswarm::cli::output::tmpl
