#pragma once

// What the cluster transport needs of its wire: the mutual-TLS wire of the
// cluster port (net/tls_wire.hpp), or a test's fake that records frames. The
// transport makes a new wire when this node's credentials first allow it
// to listen, or when it leaves its swarm.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"
#include "net/tls_wire.hpp"

namespace actorswarm::net {

/// The operations of tls_wire the transport uses (see there).
class wire_port {
public:
  virtual ~wire_port() = default;
  virtual conn_id dial(const std::string& addr, dial_options opts) = 0;
  virtual void send(conn_id c, std::string frame) = 0;
  virtual void close(conn_id c) = 0;
  virtual status reload(wire_credentials creds) = 0;
  virtual void set_revoked(std::vector<std::string> node_ids) = 0;
  /// The bound port, 0 when it does not listen.
  virtual uint16_t port() const = 0;
};

/// Makes a wire that reports to `events`: listening on `host:port` with
/// `creds`, or dial-only (joiners) without credentials.
using wire_factory = std::function<result<std::unique_ptr<wire_port>>(
  wire_events& events, const std::optional<wire_credentials>& creds,
  const std::string& host, uint16_t port)>;

/// The real thing: tls_wire with `limits`.
wire_factory tls_wire_factory(wire_limits limits);

} // namespace actorswarm::net
