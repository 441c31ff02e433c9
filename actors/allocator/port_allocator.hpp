#pragma once

// Published ports of the routing mesh (ingress mode): each (protocol, port)
// belongs to at most one service cluster-wide. Ports without a number get
// one from Docker's dynamic range 30000-32767; a requested port may be any
// of 1-65535. Host-mode ports are not tracked here (as in SwarmKit: the
// scheduler keeps two tasks publishing the same host port apart). CAF-free;
// owned by the allocator on the leader, rebuilt from the store.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::allocator {

/// The transport protocol of a published port.
enum class port_protocol : uint8_t { tcp = 0, udp = 1, sctp = 2 };

/// "tcp", "udp", "sctp".
const char* to_string(port_protocol x);

/// Parses "tcp", "udp" or "sctp" (empty: tcp). Error (invalid_spec):
/// `invalid protocol "<text>"`.
result<port_protocol> parse_protocol(std::string_view text);

/// Docker's dynamic range for published ports without a number.
constexpr uint32_t dynamic_port_first = 30000;
constexpr uint32_t dynamic_port_last = 32767;

/// SwarmKit's refusal of a taken ingress port: `port '8080' is already in
/// use by service 'web' (<id>) as an ingress port`.
std::string port_in_use_text(uint32_t port, const std::string& service_name,
                             const std::string& service_id);

/// Published ingress ports and the service that holds each.
class port_allocator {
public:
  port_allocator();

  /// A free port of the dynamic range for `owner` (a service id), searched
  /// from one past the last one handed out (wrapping) so a released port is
  /// not reused at once. Error (refused): `all dynamic ports 30000-32767
  /// are allocated (<proto>)`.
  result<uint32_t> allocate(port_protocol proto, const std::string& owner);

  /// Takes `port` (1-65535) for `owner`. Errors: out of range
  /// (invalid_spec: `invalid published port <n>: must be 1-65535`); held
  /// by another owner (refused, `port '<n>' is already in use by service
  /// '<owner>'`: callers that know the owner's name use port_in_use_text).
  /// Taking a port the same owner holds already succeeds (idempotent).
  status reserve(port_protocol proto, uint32_t port, const std::string& owner);

  /// Gives `port` back when `owner` holds it; false otherwise.
  bool release(port_protocol proto, uint32_t port, const std::string& owner);

  /// The owner of `port`, or nullptr when it is free.
  const std::string* owner(port_protocol proto, uint32_t port) const;

  /// The number of ports held, all protocols.
  size_t size() const noexcept {
    return owners_.size();
  }

private:
  static uint32_t key(port_protocol proto, uint32_t port) noexcept {
    return (static_cast<uint32_t>(proto) << 16) | port;
  }

  std::unordered_map<uint32_t, std::string> owners_;
  // Per protocol: the next dynamic port to try.
  std::array<uint32_t, 3> cursor_;
};

} // namespace actorswarm::allocator
