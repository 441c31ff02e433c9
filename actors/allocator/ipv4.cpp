#include "actors/allocator/ipv4.hpp"

namespace actorswarm::allocator {

namespace {

// Reads a decimal number 0..max without sign or leading zeros (Go's
// net.ParseIP refuses "010" too, as ambiguous octal).
bool read_number(std::string_view& in, uint32_t max, uint32_t& out) {
  size_t n = 0;
  uint32_t x = 0;
  while (n < in.size() && n < 4 && in[n] >= '0' && in[n] <= '9') {
    x = x * 10 + static_cast<uint32_t>(in[n] - '0');
    ++n;
  }
  if (n == 0 || n > 3 || x > max || (n > 1 && in[0] == '0'))
    return false;
  in.remove_prefix(n);
  out = x;
  return true;
}

bool read_quad(std::string_view& in, uint32_t& out) {
  uint32_t addr = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (in.empty() || in[0] != '.')
        return false;
      in.remove_prefix(1);
    }
    uint32_t octet = 0;
    if (!read_number(in, 255, octet))
      return false;
    addr = (addr << 8) | octet;
  }
  out = addr;
  return true;
}

// "a.b.c.d/n" into its address and prefix length; false when malformed.
bool read_cidr(std::string_view text, uint32_t& addr, uint8_t& len) {
  uint32_t n = 0;
  if (!read_quad(text, addr) || text.empty() || text[0] != '/')
    return false;
  text.remove_prefix(1);
  if (!read_number(text, 32, n) || !text.empty())
    return false;
  len = static_cast<uint8_t>(n);
  return true;
}

failure invalid_cidr(std::string_view text) {
  return fail(errc::invalid_spec, "invalid CIDR address: " + std::string{text});
}

} // namespace

result<uint32_t> parse_ipv4(std::string_view text) {
  auto rest = text;
  uint32_t addr = 0;
  if (!read_quad(rest, addr) || !rest.empty())
    return fail(errc::invalid_spec, "invalid IP address: " + std::string{text});
  return addr;
}

result<ipv4_subnet> parse_subnet(std::string_view text) {
  uint32_t addr = 0;
  uint8_t len = 0;
  if (!read_cidr(text, addr, len))
    return invalid_cidr(text);
  ipv4_subnet x{0, len};
  x.base = addr & x.mask();
  if (x.base != addr)
    return fail(errc::invalid_spec, "invalid subnet " + std::string{text}
                                      + ": it should be " + to_string(x));
  return x;
}

result<ipv4_interface> parse_interface(std::string_view text) {
  ipv4_interface x;
  if (!read_cidr(text, x.addr, x.prefix_len))
    return invalid_cidr(text);
  return x;
}

std::string to_string(uint32_t addr) {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((addr >> shift) & 0xff);
    if (shift > 0)
      out += '.';
  }
  return out;
}

std::string to_string(const ipv4_subnet& x) {
  return to_string(x.base) + '/' + std::to_string(x.prefix_len);
}

std::string to_string(const ipv4_interface& x) {
  return to_string(x.addr) + '/' + std::to_string(x.prefix_len);
}

} // namespace actorswarm::allocator
