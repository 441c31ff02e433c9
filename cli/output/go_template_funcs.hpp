#pragma once

// The functions of --format templates (go_template.hpp): Go's builtins the
// subset keeps and docker's templates.basicFunctions. Pure.

#include <string>
#include <vector>

#include "cli/output/go_template_tree.hpp"
#include "messages/result.hpp"

namespace actorswarm::cli::output::tmpl {

/// Whether `name` is a function a template may call.
bool has_function(const std::string& name);

/// Go's truth of a value: false, 0, "", null and empty lists and maps are
/// false; everything else true.
bool truth(const value& x);

/// The Go type of a value as it reads from docker's raw JSON (`string`,
/// `json.Number`, `bool`, `[]interface {}`, `map[string]interface {}`).
std::string go_type(const value& x);

/// Calls `name` (has_function) on `args`. A failure's message is Go's text
/// after `executing "" at <name>: `, e.g. `wrong number of args for join:
/// want 2 got 1` or `error calling index: index out of range: 3`.
result<value> call_function(const std::string& name,
                            const std::vector<value>& args);

} // namespace actorswarm::cli::output::tmpl
