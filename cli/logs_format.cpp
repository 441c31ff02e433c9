#include "cli/logs_format.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "cli/output/views.hpp"
#include "cli/units.hpp"

namespace actorswarm::cli {

namespace {

constexpr int64_t ns_per_s = 1'000'000'000;

std::string quote(const std::string& x) {
  return "\"" + x + "\"";
}

failure bad_since(const std::string& why) {
  return fail(errc::invalid_spec, "invalid value for \"since\": " + why);
}

bool all_digits(const std::string& x) {
  return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

/// A time as docker's layouts write it, fields in their ranges.
struct wall_time {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  bool zoned = false;
  int offset_s = 0;
};

// Reads `n` digits at `pos` into `out`.
bool digits(const std::string& s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size() || !all_digits(s.substr(pos, n)))
    return false;
  out = std::stoi(s.substr(pos, n));
  pos += n;
  return true;
}

bool expect(const std::string& s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c)
    return false;
  ++pos;
  return true;
}

// [T15[:04[:05[.999999999]]]] after the date.
bool parse_clock(const std::string& s, size_t& pos, wall_time& t) {
  if (!expect(s, pos, 'T'))
    return true;
  if (!digits(s, pos, 2, t.hour))
    return false;
  if (!expect(s, pos, ':'))
    return true;
  if (!digits(s, pos, 2, t.minute))
    return false;
  if (!expect(s, pos, ':'))
    return true;
  if (!digits(s, pos, 2, t.second))
    return false;
  if (!expect(s, pos, '.'))
    return true;
  size_t n = 0;
  for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && n < 9; ++n)
    t.nanos = t.nanos * 10 + (s[pos++] - '0');
  for (size_t k = n; k < 9; ++k)
    t.nanos *= 10;
  return n > 0;
}

// 2006-01-02[T15[:04[:05[.9]]]][Z|±07:00], docker's layouts.
bool parse_wall(const std::string& s, wall_time& t) {
  size_t pos = 0;
  if (!digits(s, pos, 4, t.year) || !expect(s, pos, '-')
      || !digits(s, pos, 2, t.month) || !expect(s, pos, '-')
      || !digits(s, pos, 2, t.day) || !parse_clock(s, pos, t))
    return false;
  if (pos < s.size() && s[pos] == 'Z') {
    t.zoned = true;
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos++] == '-' ? -1 : 1;
    int hh = 0;
    int mm = 0;
    if (!digits(s, pos, 2, hh) || !expect(s, pos, ':') || !digits(s, pos, 2, mm)
        || hh > 23 || mm > 59)
      return false;
    t.zoned = true;
    t.offset_s = sign * (hh * 3600 + mm * 60);
  }
  static constexpr int mdays[] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return pos == s.size() && t.month >= 1 && t.month <= 12 && t.day >= 1
         && t.day <= mdays[t.month - 1] && t.hour < 24 && t.minute < 60
         && t.second < 60;
}

int64_t to_unix_ns(const wall_time& t) {
  int64_t secs = 0;
  if (t.zoned) {
    secs = days_from_civil(t.year, static_cast<unsigned>(t.month),
                           static_cast<unsigned>(t.day))
             * 86400
           + t.hour * 3600 + t.minute * 60 + t.second - t.offset_s;
  } else {
    // No zone: local time, as docker's ParseInLocation.
    std::tm tm{};
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.month - 1;
    tm.tm_mday = t.day;
    tm.tm_hour = t.hour;
    tm.tm_min = t.minute;
    tm.tm_sec = t.second;
    tm.tm_isdst = -1;
    secs = static_cast<int64_t>(std::mktime(&tm));
  }
  return secs * ns_per_s + t.nanos;
}

} // namespace

std::string rfc3339_nano(int64_t unix_ns) {
  auto secs = static_cast<std::time_t>(unix_ns / ns_per_s);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%09lldZ",
                static_cast<long long>(unix_ns % ns_per_s));
  return std::string{buf} + frac;
}

std::string log_line_text(const pb::LogLine& l, const log_format& f) {
  std::string out;
  if (f.timestamps)
    out += rfc3339_nano(l.timestamp_ns()) + " ";
  if (f.raw)
    return out + l.text();
  out += l.task_name();
  if (f.task_ids)
    out += "." + (f.trunc ? output::short_id(l.task_id()) : l.task_id());
  out += "@" + l.node_name();
  // The slot's digits: what follows the last '.' of `<service>.<slot>`.
  auto dot = l.task_name().rfind('.');
  auto slot = dot == std::string::npos ? l.task_name()
                                       : l.task_name().substr(dot + 1);
  if (all_digits(slot) && slot.size() < f.slot_width)
    out.append(f.slot_width - slot.size(), ' ');
  return out + "    | " + l.text();
}

result<int64_t> parse_tail(const std::string& value) {
  if (value.empty() || value == "all")
    return int64_t{-1};
  auto body = value[0] == '-' || value[0] == '+' ? value.substr(1) : value;
  if (!all_digits(body) || body.size() > 18)
    return fail(errc::invalid_spec,
                "tail value must be a positive integer or \"all\"");
  if (value[0] == '-')
    return fail(errc::invalid_spec, "negative tail values not supported");
  return static_cast<int64_t>(std::stoll(body));
}

result<int64_t> parse_since_ns(const std::string& value, int64_t now_ns) {
  if (value != "0") {
    if (auto d = parse_duration_ns(value); d) {
      // docker sends whole seconds: reference.Add(-d).Unix().
      auto t = now_ns - *d;
      return t >= 0 ? t / ns_per_s * ns_per_s
                    : (t - (ns_per_s - 1)) / ns_per_s * ns_per_s;
    }
  }
  wall_time t;
  if (parse_wall(value, t))
    return to_unix_ns(t);
  if (value.find('-') != std::string::npos)
    return bad_since("parsing time " + quote(value)
                     + ": not an RFC 3339 date or time");
  // Unix seconds, optionally `.nanoseconds` (docker's parseTimestamp).
  auto dot = value.find('.');
  auto secs = value.substr(0, dot);
  auto nanos = dot == std::string::npos ? std::string{"0"}
                                        : value.substr(dot + 1);
  if (!all_digits(secs) || !all_digits(nanos) || secs.size() > 11
      || nanos.size() > 9)
    return bad_since("failed to parse value as time or duration: "
                     + quote(value));
  return std::stoll(secs) * ns_per_s + std::stoll(nanos);
}

} // namespace actorswarm::cli
