#pragma once

// Parsing and wording of the CLI's value types, with docker's exact texts:
// Go durations (time.ParseDuration), memory sizes (go-units RAMInBytes),
// CPU counts (docker's NanoCPUs), and go-units HumanDuration. Pure functions:
// no IO, no clock.

#include <cstdint>
#include <string>

#include "messages/result.hpp"

namespace actorswarm::cli {

/// Parses a Go duration ("300ms", "1.5s", "1m30s", "-2h", "0") into ns.
/// On error the failure message is Go's, e.g.
/// `time: unknown unit "x" in duration "5x"`.
result<int64_t> parse_duration_ns(const std::string& text);

/// Parses a memory size the way docker's RAMInBytes does ("512m", "1g",
/// "100k", "1.5GiB", plain bytes); binary multiples (k = 1024).
/// On error: `invalid size: '12Q'`; a size past int64 (8EiB) is refused as
/// too large (go-units would wrap it to a negative one).
result<int64_t> parse_ram_bytes(const std::string& text);

/// Parses a decimal CPU count ("0.5", "2") into nano CPUs (1e9 per core).
/// On error: `failed to parse abc as a rational number` or
/// `value is too precise`.
result<int64_t> parse_nano_cpus(const std::string& text);

/// Parses a non-negative decimal integer (docker's Uint64Opt wording on error:
/// `strconv.ParseUint: parsing "-1": invalid syntax`).
result<uint64_t> parse_uint(const std::string& text);

/// Prefixes a value error with pflag's wording:
/// `invalid argument "<value>" for "<flag>" flag: <message>`.
std::string flag_error(const std::string& flag, const std::string& value,
                       const std::string& message);

/// The invalid_spec failure for a bad flag value, worded by flag_error.
inline failure bad_flag(const std::string& flag, const std::string& value,
                        const std::string& message) {
  return fail(errc::invalid_spec, flag_error(flag, value, message));
}

/// Parses `value` of `flag` with `parse` into `out`; an empty value leaves
/// `out` alone (the flag was not given).
template <class T, class Parse>
status parse_into(const std::string& flag, const std::string& value,
                  Parse parse, T& out) {
  if (value.empty())
    return ok_status();
  auto r = parse(value);
  if (!r)
    return bad_flag(flag, value, r.error().message);
  out = static_cast<T>(*r);
  return ok_status();
}

/// go-units HumanDuration: "Less than a second", "1 second", "3 seconds",
/// "About a minute", "5 minutes", "About an hour", "3 hours", "2 days", ...
/// Negative durations read as "Less than a second".
std::string human_duration(int64_t duration_ns);

/// Formats ns the way Go's Duration.String does: "5s", "1m30s", "300ms", "0s".
std::string format_duration(int64_t duration_ns);

/// Formats a wall-clock time (ns since the Unix epoch) the way Go's
/// time.Time.String does in UTC: "2024-05-01 12:00:03.25 +0000 UTC".
std::string format_time_utc(int64_t unix_ns);

/// Formats bytes the way go-units BytesSize does: "512MiB", "1GiB", "100KiB".
std::string format_bytes(int64_t size_bytes);

/// Formats nano CPUs as a decimal count: 500000000 -> "0.5".
std::string format_nano_cpus(int64_t nano_cpus);

} // namespace actorswarm::cli
