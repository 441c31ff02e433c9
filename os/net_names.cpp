#include "os/net_names.hpp"

#include <cstdio>

namespace actorswarm::os {

namespace {

constexpr const char* name_prefix = "as";

// Hex digits of each kind's payload: a 24-bit VNI, a 32-bit address, the
// gateway bridge's "0".
size_t payload_digits(device_kind kind) {
  switch (kind) {
    case device_kind::task_leg:
    case device_kind::gateway_leg:
      return 8;
    case device_kind::gateway_bridge:
      return 1;
    default:
      return 6;
  }
}

bool is_base36(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string device(const std::string& tag, device_kind kind, uint32_t value) {
  char payload[9];
  std::snprintf(payload, sizeof(payload), "%0*x",
                static_cast<int>(payload_digits(kind)), value);
  return name_prefix + tag + static_cast<char>(kind) + payload;
}

// Parses up to 3 decimal digits (0..255) at text[pos], advancing pos.
bool parse_octet(const std::string& text, size_t& pos, uint32_t& out) {
  size_t start = pos;
  uint32_t x = 0;
  while (pos < text.size() && pos - start < 4 && text[pos] >= '0'
         && text[pos] <= '9')
    x = x * 10 + static_cast<uint32_t>(text[pos++] - '0');
  auto digits = pos - start;
  // No empty octet, no leading zero ("010" reads as octal elsewhere).
  if (digits == 0 || digits > 3 || x > 255
      || (digits > 1 && text[start] == '0'))
    return false;
  out = x;
  return true;
}

} // namespace

result<ipv4> parse_ipv4(const std::string& text) {
  size_t pos = 0;
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t octet = 0;
    if (i > 0 && (pos >= text.size() || text[pos++] != '.'))
      return fail(errc::invalid_spec, "invalid IPv4 address: " + text);
    if (!parse_octet(text, pos, octet))
      return fail(errc::invalid_spec, "invalid IPv4 address: " + text);
    value = (value << 8) | octet;
  }
  if (pos != text.size())
    return fail(errc::invalid_spec, "invalid IPv4 address: " + text);
  return ipv4{value};
}

result<ipv4_prefix> parse_ipv4_prefix(const std::string& text) {
  auto slash = text.find('/');
  auto bad = fail(errc::invalid_spec, "invalid CIDR address: " + text);
  if (slash == std::string::npos)
    return bad;
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr)
    return bad;
  auto len_text = text.substr(slash + 1);
  size_t pos = 0;
  uint32_t length = 0;
  if (!parse_octet(len_text, pos, length) || pos != len_text.size()
      || length > 32)
    return bad;
  return ipv4_prefix{*addr, static_cast<uint8_t>(length)};
}

std::string to_string(ipv4 x) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", x.value >> 24,
                (x.value >> 16) & 0xff, (x.value >> 8) & 0xff, x.value & 0xff);
  return buf;
}

std::string to_string(const ipv4_prefix& x) {
  return to_string(x.addr) + "/" + std::to_string(x.length);
}

std::string to_string(const mac_address& x) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", x[0], x[1],
                x[2], x[3], x[4], x[5]);
  return buf;
}

uint32_t prefix_mask(uint8_t length) {
  if (length == 0)
    return 0;
  if (length >= 32)
    return 0xffffffffu;
  return ~((uint32_t{1} << (32 - length)) - 1);
}

bool contains(const ipv4_prefix& net, ipv4 x) {
  auto mask = prefix_mask(net.length);
  return (net.addr.value & mask) == (x.value & mask);
}

mac_address mac_from_ip(ipv4 x) {
  return {0x02,
          0x42,
          static_cast<uint8_t>(x.value >> 24),
          static_cast<uint8_t>(x.value >> 16),
          static_cast<uint8_t>(x.value >> 8),
          static_cast<uint8_t>(x.value)};
}

result<std::string> node_tag(const std::string& node_id) {
  if (node_id.size() < node_tag_length)
    return fail(errc::invalid_spec,
                "node id too short for a device tag: \"" + node_id + "\"");
  auto tag = node_id.substr(0, node_tag_length);
  for (char c : tag)
    if (!is_base36(c))
      return fail(errc::invalid_spec,
                  "node id is not lowercase base 36: \"" + node_id + "\"");
  return tag;
}

std::string bridge_name(const std::string& tag, uint32_t vni) {
  return device(tag, device_kind::bridge, vni & vni_max);
}

std::string vxlan_name(const std::string& tag, uint32_t vni) {
  return device(tag, device_kind::vxlan, vni & vni_max);
}

std::string task_leg_name(const std::string& tag, ipv4 task_ip) {
  return device(tag, device_kind::task_leg, task_ip.value);
}

std::string ingress_link_name(const std::string& tag) {
  return device(tag, device_kind::ingress_link, 0);
}

std::string gateway_bridge_name(const std::string& tag) {
  return device(tag, device_kind::gateway_bridge, 0);
}

std::string gateway_leg_name(const std::string& tag, ipv4 task_ip) {
  return device(tag, device_kind::gateway_leg, task_ip.value);
}

std::optional<device_name> parse_device_name(const std::string& name) {
  constexpr size_t head = 2 + node_tag_length + 1;
  if (name.size() <= head || name.compare(0, 2, name_prefix) != 0)
    return std::nullopt;
  device_name out;
  out.tag = name.substr(2, node_tag_length);
  for (char c : out.tag)
    if (!is_base36(c))
      return std::nullopt;
  auto kind = static_cast<device_kind>(name[head - 1]);
  if (kind != device_kind::bridge && kind != device_kind::vxlan
      && kind != device_kind::task_leg && kind != device_kind::ingress_link
      && kind != device_kind::gateway_bridge
      && kind != device_kind::gateway_leg)
    return std::nullopt;
  out.kind = kind;
  if (name.size() - head != payload_digits(kind))
    return std::nullopt;
  uint32_t value = 0;
  for (size_t i = head; i < name.size(); ++i) {
    char c = name[i];
    if (!is_hex(c))
      return std::nullopt;
    value = (value << 4)
            | static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  out.value = value;
  return out;
}

std::string network_netns_name(const std::string& network_id) {
  return "n-" + network_id;
}

std::string task_netns_name(const std::string& task_id) {
  return "t-" + task_id;
}

std::string sandbox_netns_name(const std::string& name) {
  return "s-" + name;
}

std::optional<netns_name> parse_netns_name(const std::string& name) {
  if (name.size() < 3 || name[1] != '-')
    return std::nullopt;
  auto kind = static_cast<netns_kind>(name[0]);
  if (kind != netns_kind::network && kind != netns_kind::task
      && kind != netns_kind::sandbox)
    return std::nullopt;
  auto id = name.substr(2);
  if (!valid_object_id(id))
    return std::nullopt;
  return netns_name{kind, id};
}

bool valid_ifname(const std::string& x) {
  if (x.empty() || x.size() > ifname_length_max || x == "." || x == ".."
      || x == "lo")
    return false;
  for (char c : x)
    if (c == '/' || c == ':' || c <= ' ' || c > '~')
      return false;
  return true;
}

bool valid_object_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.')
    return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

} // namespace actorswarm::os
