#pragma once

// Tokens of one `{{...}}` action of a --format template, as Go's
// text/template lexer makes them (go_template_parse.cpp). Pure.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "cli/output/go_template_tree.hpp"
#include "messages/result.hpp"

namespace actorswarm::cli::output::tmpl {

struct token {
  enum class kind {
    dot,      // .
    field,    // .A.B (fields)
    variable, // $ or $x, maybe with .A.B (fields)
    ident,    // a function or keyword name
    literal,  // string, number, true, false, nil (lit)
    lparen,
    rparen,
    pipe,
    declare, // :=
    comma,
  };
  kind k = kind::dot;
  std::string text;
  std::vector<std::string> fields;
  value lit;
  size_t pos = 0; // byte offset in the template
};

/// One piece of a template: literal text, or an action's tokens.
struct piece {
  bool action = false;
  std::string text;
  std::vector<token> tokens;
  size_t pos = 0; // where the action's `{{` is
};

/// Splits `src` into text and actions, applying trim markers and dropping
/// comments. Fails with Go's message (`unclosed action`, `unterminated
/// quoted string`, `unexpected "#" in command`), no prefix.
result<std::vector<piece>> lex_template(const std::string& src);

/// Go's position of byte `pos`: line (1-based), byte column (0-based).
std::pair<size_t, size_t> position_of(const std::string& src, size_t pos);

} // namespace actorswarm::cli::output::tmpl
