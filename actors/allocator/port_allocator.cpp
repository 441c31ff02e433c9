#include "actors/allocator/port_allocator.hpp"

namespace actorswarm::allocator {

const char* to_string(port_protocol x) {
  switch (x) {
    case port_protocol::tcp:
      return "tcp";
    case port_protocol::udp:
      return "udp";
    case port_protocol::sctp:
      return "sctp";
  }
  return "tcp";
}

result<port_protocol> parse_protocol(std::string_view text) {
  if (text.empty() || text == "tcp")
    return port_protocol::tcp;
  if (text == "udp")
    return port_protocol::udp;
  if (text == "sctp")
    return port_protocol::sctp;
  return fail(errc::invalid_spec,
              "invalid protocol \"" + std::string{text} + "\"");
}

std::string port_in_use_text(uint32_t port, const std::string& service_name,
                             const std::string& service_id) {
  return "port '" + std::to_string(port) + "' is already in use by service '"
         + service_name + "' (" + service_id + ") as an ingress port";
}

port_allocator::port_allocator() {
  cursor_.fill(dynamic_port_first);
}

result<uint32_t> port_allocator::allocate(port_protocol proto,
                                          const std::string& owner) {
  constexpr auto n = dynamic_port_last - dynamic_port_first + 1;
  auto& cur = cursor_[static_cast<size_t>(proto)];
  // Bounded: at most every port of the range once.
  for (uint32_t i = 0; i < n; ++i) {
    auto port = cur;
    cur = port == dynamic_port_last ? dynamic_port_first : port + 1;
    if (owners_.emplace(key(proto, port), owner).second)
      return port;
  }
  return fail(errc::refused, "all dynamic ports "
                               + std::to_string(dynamic_port_first) + "-"
                               + std::to_string(dynamic_port_last)
                               + " are allocated (" + to_string(proto) + ")");
}

status port_allocator::reserve(port_protocol proto, uint32_t port,
                               const std::string& owner) {
  if (port < 1 || port > 65535)
    return fail(errc::invalid_spec, "invalid published port "
                                      + std::to_string(port)
                                      + ": must be 1-65535");
  auto [it, added] = owners_.emplace(key(proto, port), owner);
  if (!added && it->second != owner)
    return fail(errc::refused, "port '" + std::to_string(port)
                                 + "' is already in use by service '"
                                 + it->second + "'");
  return ok_status();
}

bool port_allocator::release(port_protocol proto, uint32_t port,
                             const std::string& owner) {
  auto it = owners_.find(key(proto, port));
  if (it == owners_.end() || it->second != owner)
    return false;
  owners_.erase(it);
  return true;
}

const std::string* port_allocator::owner(port_protocol proto,
                                         uint32_t port) const {
  auto it = owners_.find(key(proto, port));
  return it == owners_.end() ? nullptr : &it->second;
}

} // namespace actorswarm::allocator
