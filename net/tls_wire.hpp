#pragma once

// The cluster port's wire (issue #8, docs/security.md): our own transport
// of length-prefixed frames over mutual TLS 1.3 (OpenSSL, nonblocking
// sockets, one event-loop thread). It replaces CAF's BASP between nodes:
// BASP trusts any claimed sender and allocates from announced lengths, so
// it never faces the network. The peer's verified certificate is the only
// identity a frame carries (CN = node id, OU = swarm-manager|swarm-worker,
// O = cluster id).
//
// Admission: a peer either presents a certificate that chains to one of
// the trusted cluster roots and names this cluster (authenticated), or
// presents none (a joiner: it may send small frames only and lives a
// bounded time; the transport accepts one JOIN from it). Anything else
// fails the handshake and costs one closed connection. No byte of a peer
// reaches a parser, and no buffer grows from a length it announced, before
// the handshake completes; buffers grow with bytes that arrived, up to the
// frame limit of the peer's class.
//
// Frame: 4-byte big-endian length, then that many bytes (one serialized
// pb::Envelope; the wire does not look inside). Before the first frame,
// each end sends the 8-byte hello "ASWIRE/1" inside TLS and reports on_up
// only once the peer's hello arrived: in TLS 1.3 a client finishes its
// handshake before the server has checked the client's certificate, so the
// server's hello tells the client it was accepted (net/tls_conn.hpp).
//
// Files: tls_wire.cpp (this face), tls_loop*.cpp (the event loop),
// tls_conn.cpp (one connection), tls_context.cpp (SSL_CTX, peer checks),
// tls_socket.cpp (sockets), frame_reader.cpp (frames).
//
// Threading: every method is thread-safe and does not block (it queues a
// command for the loop thread; reload() builds its TLS context on the
// caller's thread). Events are delivered on the loop thread, in order per
// connection; the receiver must not block in them (the transport actor's
// adapter only sends a CAF message) and must not destroy the wire from
// them. SIGPIPE is never raised (sockets are written with MSG_NOSIGNAL).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::net {

/// This node's credentials on the cluster port.
struct wire_credentials {
  /// This node's certificate (PEM), issued by the cluster CA.
  std::string cert_pem;
  /// Its private key (PEM). Made on this node, never sent.
  std::string key_pem;
  /// The roots a peer's certificate must chain to (PEM, one or more: during
  /// a CA rotation both the old and the new root).
  std::string trusted_roots_pem;
  /// Certificates sent after ours in the handshake (PEM, may be empty): the
  /// root, so a joiner can pin it by the digest in its token, and during a
  /// rotation the cross-signed intermediate.
  std::string chain_pem;
  /// A peer's certificate must name this cluster (O).
  std::string cluster_id;
};

/// Who is at the other end of a connection, from its verified certificate.
struct peer_identity {
  /// False for a peer that presented no certificate (a joiner, inbound
  /// only); the other fields are then empty.
  bool authenticated = false;
  std::string node_id;    // CN
  std::string role;       // OU: "swarm-manager" or "swarm-worker"
  std::string cluster_id; // O
};

/// Bounds on what peers may cost (daemon flags where noted).
struct wire_limits {
  /// A connection that has not finished its TLS handshake by then is closed
  /// (--handshake-timeout, default 10 s).
  uint64_t handshake_timeout_ms = 10'000;
  /// Inbound connections not yet authenticated (handshaking, or joiners)
  /// at once; more are closed at accept (--max-unauthenticated, 256).
  size_t max_unauthenticated = 256;
  /// A joiner's connection is closed after this long, handshake included.
  uint64_t unauthenticated_lifetime_ms = 30'000;
  /// Largest frame from an authenticated peer (Raft snapshots are the big
  /// ones); a larger announced length closes the connection.
  uint64_t max_frame_bytes = 512ull << 20;
  /// Largest frame from a peer without a certificate (a JOIN).
  uint64_t max_unauthenticated_frame_bytes = 64ull << 10;
  /// Bytes queued for sending on one connection before it is closed as too
  /// slow (a peer that does not read).
  uint64_t max_queued_bytes = 1024ull << 20;
};

/// A connection's handle, unique within one tls_wire (never reused).
using conn_id = uint64_t;

/// What the wire reports. Called on the loop thread.
class wire_events {
public:
  virtual ~wire_events() = default;
  /// Connection `c` finished its handshake (inbound or dialed); `peer` is
  /// the verified identity of the other end.
  virtual void on_up(conn_id c, const peer_identity& peer) = 0;
  /// One whole frame arrived on `c` (only after on_up for `c`).
  virtual void on_frame(conn_id c, std::string frame) = 0;
  /// `c` is closed, or a dial failed (then without a preceding on_up);
  /// `reason` is one line for logs and errors. Last event for `c`. An
  /// inbound connection that never came up is never reported (its peer
  /// was refused: stats().refused).
  virtual void on_down(conn_id c, const std::string& reason) = 0;
};

/// How a dialed connection checks the server.
struct dial_options {
  /// Joining: present no certificate and accept the server only if its
  /// chain contains a root whose SHA-256 (of the DER) is `pinned_root`
  /// (32 raw bytes, from the join token) and its leaf verifies against that
  /// root. Otherwise the server must verify against trusted_roots_pem and
  /// name this cluster, and we present our certificate.
  std::optional<std::string> pinned_root;
  /// For a joiner: the pinned root's PEM is reported by root_pem_of().
  /// Connect, handshake and hello must be done within this time, else
  /// on_down ("... timed out").
  uint64_t timeout_ms = 2'000;
};

/// The event loop with its listening socket and connections.
class tls_wire {
public:
  /// Starts the loop thread. With `listen_host` non-empty it listens on
  /// listen_host:listen_port (0 = any free port; see port()); credentials
  /// are needed to listen. A joining node starts without credentials and
  /// without listening, dials with a pinned root, then calls reload() and,
  /// as a manager, listen(). Fails (one line): credentials refused as by
  /// reload(), an address that is not an IP literal, a port taken ("listen
  /// tcp HOST:PORT: bind: address already in use", errc::unavailable).
  static result<std::unique_ptr<tls_wire>>
  start(wire_events& events, wire_limits limits,
        std::optional<wire_credentials> creds, const std::string& listen_host,
        uint16_t listen_port);

  /// Stops the loop thread and closes every connection (no events after
  /// it returns).
  ~tls_wire();

  /// The port it listens on (0 if it does not listen).
  uint16_t port() const;

  /// Starts listening on host:port (0 = any free port) if it does not yet:
  /// for a joiner, once reload() gave it credentials. Fails like start().
  status listen(const std::string& host, uint16_t port);

  /// Dials `addr` (IP:PORT); the result comes as on_up or on_down for the
  /// returned id. An address that does not parse reports on_down too.
  conn_id dial(const std::string& addr, dial_options opts = {});

  /// Queues `frame` (the bytes inside one frame) on `c`; a closed or
  /// unknown `c` drops it silently (its on_down was or will be reported).
  void send(conn_id c, std::string frame);

  /// Closes `c` after what is queued on it is written (bounded by the
  /// handshake timeout); reports on_down.
  void close(conn_id c);

  /// New credentials (a renewed certificate, a role change, a CA rotation):
  /// used by connections opened from now on; existing ones go on. Refused
  /// (errc::invalid_spec, nothing changes): credentials that do not parse,
  /// a key that does not match, no root, a certificate naming another
  /// cluster than cluster_id.
  status reload(wire_credentials creds);

  /// Certificates with these CNs are refused from now on (node rm), and
  /// their open connections close. Replaces the previous list.
  void set_revoked(std::vector<std::string> node_ids);

  /// For a pinned dial that came up: the PEM of the root the server
  /// presented (its digest matched the pin). Empty otherwise.
  std::string root_pem_of(conn_id c) const;

  /// Counters for tests and `node inspect`: connections open, of them not
  /// authenticated (inbound, handshaking or joiners), refused so far:
  /// inbound connections closed before they came up (bad certificate,
  /// garbage, handshake timeout, over max_unauthenticated at accept), and
  /// dials whose server this end refused (certificate, pin).
  struct counters {
    size_t open = 0;
    size_t unauthenticated = 0;
    uint64_t refused = 0;
  };
  counters stats() const;

  tls_wire(const tls_wire&) = delete;
  tls_wire& operator=(const tls_wire&) = delete;

private:
  struct impl;
  explicit tls_wire(std::unique_ptr<impl> x);
  std::unique_ptr<impl> impl_;
};

} // namespace actorswarm::net
