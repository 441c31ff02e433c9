#pragma once

// Variable substitution in compose values (docker/cli cli/compose/template):
// `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}`
// (unset), `${VAR:?err}` (unset or empty: error), `${VAR?err}` (unset:
// error), `$$` for a literal `$`. Names are [_A-Za-z][_A-Za-z0-9]*; an
// unset variable without a default is "". Unlike docker's regexp, an
// unbraced `$VAR` ends at the name (`$HOME-x` is HOME's value then "-x"),
// and an operator is read after the name only (compose-spec's reading).
// Also the env file format of `env_file` and `.env` (docker's kvfile).

#include <string>
#include <vector>

#include "cli/compose/compose.hpp"

namespace actorswarm::cli::compose {

/// Substitutes the variables of `text`. On error, the message is docker's
/// template text: the whole `text` for bad syntax, or `required variable X
/// is missing a value: err`.
result<std::string> substitute(const std::string& text, const env_lookup& env);

/// docker's line for a failed substitution at `path`:
/// `invalid interpolation format for services.web.image: "${X"; you may
/// need to escape any $ with another $`.
std::string interpolation_error(const std::string& path,
                                const std::string& template_text);

/// Go's %q of `x` (quotes, backslash escapes).
std::string go_quote(const std::string& x);

/// Parses env-file text (docker's kvfile): one `KEY=VALUE` per line, the
/// value as written (no quote removal); leading blanks and `#` comment lines
/// skipped; `KEY` alone takes the value `env` has, or is left out. Errors:
/// `no variable name on line '=x'`, `poorly formatted environment: variable
/// 'a b' contains whitespaces`.
result<std::vector<std::string>> parse_env_file(const std::string& text,
                                                const env_lookup& env);

} // namespace actorswarm::cli::compose
