#pragma once

// `service logs` as docker's CLI prints it (docker/cli
// cli/command/service/logs.go) and its flags' values: the line prefix
// `<service>.<slot>.<task id>@<node><padding>    | `, --tail, and --since
// in docker's forms (timetypes.GetTimestamp). Pure functions: the caller
// passes the time.

#include <cstdint>
#include <string>

#include "messages/control.pb.h"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// How log lines print.
struct log_format {
  bool timestamps = false; ///< -t: RFC 3339 with ns, UTC, first
  bool raw = false;        ///< --raw: no prefix
  bool task_ids = true;    ///< false with --no-task-ids
  bool trunc = true;       ///< task ids cut to 12 (false with --no-trunc)
  /// Digits of the service's replica count: slots with fewer digits are
  /// padded after the node name, so the bars line up (docker's padding).
  size_t slot_width = 1;
};

/// One line: `[<RFC3339Nano> ]<name>.<slot>[.<task id>]@<node><pad>    |
/// <text>`, or with --raw `[<RFC3339Nano> ]<text>`.
std::string log_line_text(const pb::LogLine& l, const log_format& f);

/// RFC 3339 with nine fraction digits in UTC, as docker's --timestamps.
std::string rfc3339_nano(int64_t unix_ns);

/// docker's `service logs --tail`: "all" (or "") is -1, else a decimal
/// count >= 0; errors are the daemon's texts (`tail value must be a
/// positive integer or "all"`, `negative tail values not supported`).
result<int64_t> parse_tail(const std::string& value);

/// docker's --since (timetypes.GetTimestamp) in ns since the epoch: a Go
/// duration before `now_ns` (whole seconds, as docker sends them), an RFC
/// 3339 date or time (with a zone, else local time: "2013-01-02",
/// "2013-01-02T13:23", "2013-01-02T13:23:37Z", "...37.5+01:00"), or Unix
/// seconds with optional nanoseconds ("1136073600.000000001"). On error:
/// `invalid value for "since": ...`.
result<int64_t> parse_since_ns(const std::string& value, int64_t now_ns);

} // namespace actorswarm::cli
