// Formatting half of cli/units.hpp: go-units and Go's time wording.

#include "cli/units.hpp"

#include <cstdio>
#include <ctime>

namespace actorswarm::cli {

namespace {

constexpr int64_t ns_per_second = 1000000000;

// Digits of `frac` (which has `width` digits) without trailing zeros, with a
// leading dot; empty when the fraction is zero.
std::string fraction(uint64_t frac, int width) {
  if (frac == 0)
    return "";
  std::string digits(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    digits[static_cast<size_t>(i)] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  while (!digits.empty() && digits.back() == '0')
    digits.pop_back();
  return "." + digits;
}

} // namespace

std::string human_duration(int64_t duration_ns) {
  int64_t seconds = duration_ns / ns_per_second;
  if (seconds < 1)
    return "Less than a second";
  if (seconds == 1)
    return "1 second";
  if (seconds < 60)
    return std::to_string(seconds) + " seconds";
  int64_t minutes = seconds / 60;
  if (minutes == 1)
    return "About a minute";
  if (minutes < 60)
    return std::to_string(minutes) + " minutes";
  // Go: d.Round(time.Hour).Hours(), rounding halves away from zero.
  constexpr int64_t hour_ns = 3600 * ns_per_second;
  int64_t hours = (duration_ns + hour_ns / 2) / hour_ns;
  if (hours == 1)
    return "About an hour";
  if (hours < 48)
    return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2)
    return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2)
    return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2)
    return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(duration_ns / hour_ns / 24 / 365) + " years";
}

std::string format_duration(int64_t duration_ns) {
  if (duration_ns == 0)
    return "0s";
  std::string sign = duration_ns < 0 ? "-" : "";
  uint64_t u = duration_ns < 0 ? 0 - static_cast<uint64_t>(duration_ns)
                               : static_cast<uint64_t>(duration_ns);
  if (u < 1000)
    return sign + std::to_string(u) + "ns";
  if (u < 1000000)
    return sign + std::to_string(u / 1000) + fraction(u % 1000, 3)
           + "\xC2\xB5s";
  if (u < static_cast<uint64_t>(ns_per_second))
    return sign + std::to_string(u / 1000000) + fraction(u % 1000000, 6) + "ms";
  uint64_t secs = u / ns_per_second;
  std::string out = sign;
  uint64_t hours = secs / 3600;
  uint64_t minutes = secs / 60 % 60;
  if (hours > 0)
    out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0)
    out += std::to_string(minutes) + "m";
  out += std::to_string(secs % 60) + fraction(u % ns_per_second, 9) + "s";
  return out;
}

std::string format_bytes(int64_t size_bytes) {
  static const char* abbrs[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double size = static_cast<double>(size_bytes);
  size_t i = 0;
  while (size >= 1024 && i + 1 < sizeof(abbrs) / sizeof(abbrs[0])) {
    size /= 1024;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g%s", size, abbrs[i]);
  return buf;
}

std::string format_nano_cpus(int64_t nano_cpus) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(nano_cpus) / 1e9);
  return buf;
}

std::string format_time_utc(int64_t unix_ns) {
  auto secs = static_cast<std::time_t>(unix_ns / ns_per_second);
  auto frac = unix_ns % ns_per_second;
  if (frac < 0) {
    secs -= 1;
    frac += ns_per_second;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf + fraction(static_cast<uint64_t>(frac), 9) + " +0000 UTC";
}

} // namespace actorswarm::cli
