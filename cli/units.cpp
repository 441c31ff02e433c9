#include "cli/units.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace actorswarm::cli {

namespace {

constexpr uint64_t duration_max_ns = uint64_t{1} << 63;

std::string quote(const std::string& x) {
  return "\"" + x + "\"";
}

failure bad_duration(const std::string& orig) {
  return fail(errc::invalid_spec, "time: invalid duration " + quote(orig));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Go's unitMap of time.ParseDuration, in ns.
bool unit_ns(const std::string& unit, uint64_t& out) {
  static const std::pair<const char*, uint64_t> units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000}, // U+00B5 micro sign
    {"\xCE\xBCs", 1000}, // U+03BC Greek mu
    {"ms", 1000000},
    {"s", 1000000000},
    {"m", 60ull * 1000000000},
    {"h", 3600ull * 1000000000},
  };
  for (const auto& [name, ns] : units) {
    if (unit == name) {
      out = ns;
      return true;
    }
  }
  return false;
}

// Parses one `[0-9]*(\.[0-9]*)?unit` group at s[pos...]; adds it to `total`.
status parse_duration_group(const std::string& orig, size_t& pos,
                            uint64_t& total) {
  const std::string& s = orig;
  if (!(s[pos] == '.' || is_digit(s[pos])))
    return bad_duration(orig);
  uint64_t whole = 0;
  size_t start = pos;
  for (; pos < s.size() && is_digit(s[pos]); ++pos) {
    if (whole > (duration_max_ns - 1) / 10)
      return bad_duration(orig); // Go: overflow
    whole = whole * 10 + static_cast<uint64_t>(s[pos] - '0');
  }
  bool pre = pos != start;
  uint64_t frac = 0;
  double scale = 1;
  bool post = false;
  if (pos < s.size() && s[pos] == '.') {
    size_t fstart = ++pos;
    bool overflow = false;
    for (; pos < s.size() && is_digit(s[pos]); ++pos) {
      // Go's leadingFraction: stop accumulating once it would overflow.
      if (overflow || frac > (duration_max_ns - 1) / 10) {
        overflow = true;
        continue;
      }
      frac = frac * 10 + static_cast<uint64_t>(s[pos] - '0');
      scale *= 10;
    }
    post = pos != fstart;
  }
  if (!pre && !post)
    return bad_duration(orig);
  size_t ustart = pos;
  while (pos < s.size() && s[pos] != '.' && !is_digit(s[pos]))
    ++pos;
  if (pos == ustart)
    return fail(errc::invalid_spec,
                "time: missing unit in duration " + quote(orig));
  auto unit_text = s.substr(ustart, pos - ustart);
  uint64_t unit = 0;
  if (!unit_ns(unit_text, unit))
    return fail(errc::invalid_spec, "time: unknown unit " + quote(unit_text)
                                      + " in duration " + quote(orig));
  if (whole > duration_max_ns / unit)
    return bad_duration(orig);
  uint64_t v = whole * unit;
  if (frac > 0)
    v += static_cast<uint64_t>(static_cast<double>(frac)
                               * (static_cast<double>(unit) / scale));
  if (v > duration_max_ns || total + v > duration_max_ns)
    return bad_duration(orig);
  total += v;
  return ok_status();
}

} // namespace

result<int64_t> parse_duration_ns(const std::string& text) {
  std::string s = text;
  size_t pos = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    pos = 1;
  }
  if (s.substr(pos) == "0")
    return int64_t{0};
  if (pos == s.size())
    return bad_duration(text);
  uint64_t total = 0;
  // Each group consumes at least one character, so this loop is bounded.
  while (pos < s.size()) {
    auto st = parse_duration_group(text, pos, total);
    if (!st)
      return st.error();
  }
  if (neg)
    return total == duration_max_ns ? std::numeric_limits<int64_t>::min()
                                    : -static_cast<int64_t>(total);
  if (total > duration_max_ns - 1)
    return bad_duration(text);
  return static_cast<int64_t>(total);
}

result<int64_t> parse_ram_bytes(const std::string& text) {
  // go-units parseSize: number, optional space, suffix [kmgtp] + b / ib.
  auto invalid = fail(errc::invalid_spec, "invalid size: '" + text + "'");
  auto sep = text.find_last_of("0123456789. ");
  if (sep == std::string::npos)
    return invalid;
  std::string num = text[sep] == ' ' ? text.substr(0, sep)
                                     : text.substr(0, sep + 1);
  std::string sfx = text.substr(sep + 1);
  bool num_ok = !num.empty();
  for (char c : num)
    num_ok = num_ok && (is_digit(c) || c == '.' || c == '-' || c == '+');
  char* end = nullptr;
  double size = num_ok ? std::strtod(num.c_str(), &end) : 0;
  if (!num_ok || end != num.c_str() + num.size())
    return fail(errc::invalid_spec, "strconv.ParseFloat: parsing " + quote(num)
                                      + ": invalid syntax");
  if (size < 0)
    return invalid;
  // go-units converts with int64(size * mul), which wraps a size past int64
  // to a negative one; refuse it instead (Docker has no text for it).
  auto checked = [&text](double bytes) -> result<int64_t> {
    if (!(bytes < 9223372036854775808.0))
      return fail(errc::invalid_spec,
                  "invalid size: '" + text
                    + "': too large (at most 9223372036854775807 bytes, 8EiB)");
    return static_cast<int64_t>(bytes);
  };
  if (sfx.empty())
    return checked(size);
  for (auto& c : sfx)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto bad_suffix = fail(errc::invalid_spec, "invalid suffix: '" + sfx + "'");
  if (sfx.size() > 3)
    return bad_suffix;
  if (sfx[0] == 'b')
    return sfx.size() == 1 ? checked(size) : result<int64_t>{bad_suffix};
  static const std::string mults = "kmgtp";
  auto idx = mults.find(sfx[0]);
  if (idx == std::string::npos)
    return bad_suffix;
  if ((sfx.size() == 2 && sfx[1] != 'b')
      || (sfx.size() == 3 && sfx.substr(1) != "ib"))
    return bad_suffix;
  double mul = 1;
  for (size_t i = 0; i <= idx; ++i)
    mul *= 1024;
  return checked(size * mul);
}

result<int64_t> parse_nano_cpus(const std::string& text) {
  auto bad = fail(errc::invalid_spec,
                  "failed to parse " + text + " as a rational number");
  auto dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && frac.empty())
    return bad;
  for (char c : whole + frac)
    if (!is_digit(c))
      return bad;
  // Docker: nano CPUs must be an integer, so at most 9 significant decimals.
  while (frac.size() > 9 && frac.back() == '0')
    frac.pop_back();
  if (frac.size() > 9)
    return fail(errc::invalid_spec, "value is too precise");
  if (whole.size() > 9)
    return fail(errc::invalid_spec, "value is too large");
  int64_t nano = whole.empty() ? 0 : std::stoll(whole) * 1000000000;
  frac.resize(9, '0');
  return nano + std::stoll(frac);
}

result<uint64_t> parse_uint(const std::string& text) {
  auto bad = fail(errc::invalid_spec, "strconv.ParseUint: parsing "
                                        + quote(text) + ": invalid syntax");
  if (text.empty() || text.size() > 20)
    return bad;
  for (char c : text)
    if (!is_digit(c))
      return bad;
  errno = 0;
  auto v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE)
    return fail(errc::invalid_spec, "strconv.ParseUint: parsing " + quote(text)
                                      + ": value out of range");
  return static_cast<uint64_t>(v);
}

std::string flag_error(const std::string& flag, const std::string& value,
                       const std::string& message) {
  return "invalid argument " + quote(value) + " for " + quote(flag)
         + " flag: " + message;
}

} // namespace actorswarm::cli
