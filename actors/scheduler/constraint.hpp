#pragma once

// Placement constraints in Docker's syntax (`node.labels.zone==east`), after
// SwarmKit's manager/constraint package. Parsed once per task group by the
// scheduler; also used by the control actor to validate a service spec and by
// the global orchestrator to decide which nodes get a task.

#include <string>
#include <vector>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::scheduler {

/// What a constraint looks at on a node.
enum class constraint_key {
  node_id,       ///< node.id
  hostname,      ///< node.hostname (description.hostname)
  role,          ///< node.role (current role: manager or worker)
  platform_os,   ///< node.platform.os (description.os)
  platform_arch, ///< node.platform.arch (description.architecture)
  node_label,    ///< node.labels.<name> (spec.labels)
  engine_label,  ///< engine.labels.<name> (description.engine_labels)
};

/// Comparison operator of a constraint.
enum class constraint_op {
  eq,  ///< ==
  neq, ///< !=
};

/// One parsed constraint expression.
struct constraint {
  constraint_key key = constraint_key::node_id;
  /// Label name for node_label/engine_label (case-sensitive, as Docker's);
  /// empty otherwise.
  std::string label;
  constraint_op op = constraint_op::eq;
  /// Right-hand side, trimmed. Compared case-insensitively, as Docker does.
  std::string value;
};

/// Parses Docker constraint expressions `key==value` / `key!=value`, with
/// optional whitespace around key, operator and value. Keys are
/// case-insensitive; label names keep their case.
/// @returns the constraints in input order, or `errc::invalid_spec` with a
///          one-line message naming the first malformed expression, e.g.
///          `invalid constraint expression "zone=east": expected == or !=`.
result<std::vector<constraint>>
parse_constraints(const std::vector<std::string>& exprs);

/// Parses one expression; see parse_constraints.
result<constraint> parse_constraint(const std::string& expr);

/// True when `node` satisfies every constraint (an empty list matches every
/// node). A missing label or field compares as the empty string, so
/// `node.labels.zone!=east` matches a node without a zone label.
bool matches(const std::vector<constraint>& constraints, const pb::Node& node);

/// True when `node` satisfies `c`.
bool matches(const constraint& c, const pb::Node& node);

/// The value a spread preference descriptor (`node.labels.zone` or
/// `engine.labels.rack`) selects on `node`; empty when the node lacks it.
/// @returns false when `descriptor` is not a supported preference, which the
///          scheduler ignores, as SwarmKit does.
bool spread_value(const std::string& descriptor, const pb::Node& node,
                  std::string& value);

/// ASCII case-insensitive equality.
bool iequals(const std::string& a, const std::string& b);

} // namespace actorswarm::scheduler
