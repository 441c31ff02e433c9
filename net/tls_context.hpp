#pragma once

// The TLS side of the cluster port's wire (net/tls_wire.hpp): SSL_CTX from
// a node's credentials, the peer checks of the handshake, the joiner's
// pinned-root check, and SSL objects on a socket that never raises
// SIGPIPE. Used on the wire's loop thread, except make_tls_identity (any
// thread: reload() validates on the caller's).

#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>

#include "messages/result.hpp"
#include "net/openssl_util.hpp"
#include "net/tls_wire.hpp"

namespace actorswarm::net {

/// One set of credentials made ready for handshakes: a TLS 1.3-only
/// SSL_CTX for both ends (our certificate, key and chain; the trusted
/// roots; peer verification with the checks of peer_check). Immutable:
/// reload() makes a new one, connections keep the one they started with.
struct tls_identity {
  ssl_ctx_ptr ctx;
  std::string cluster_id;
};

/// Builds and validates a tls_identity. Refused (errc::invalid_spec, one
/// line): a certificate, key, root or chain that does not parse, a key that
/// does not match the certificate, no trusted root, an empty cluster id.
result<std::shared_ptr<const tls_identity>>
make_tls_identity(const wire_credentials& creds);

/// The SSL_CTX of a joiner's pinned dial: TLS 1.3, no certificate, no
/// verification during the handshake (check_pinned runs after it).
ssl_ctx_ptr make_pinned_ctx();

/// What the handshake's verify callback checks beyond the chain, for one
/// connection: O == cluster id, a CN, an OU role, the CN not revoked.
/// Owned by the connection; outlives its SSL.
struct peer_check {
  const std::string* cluster_id = nullptr;
  const std::unordered_set<std::string>* revoked = nullptr;
  /// Counts this connection as refused once, when its peer's certificate
  /// is: before the alert goes out, so a peer that sees the alert sees the
  /// count too.
  std::atomic<uint64_t>* refused = nullptr;
  bool counted = false;
  /// Why the peer's certificate was refused (empty if it was not).
  std::string reason;
};

/// A new SSL on the connected socket `fd` (server end if `server`), with
/// `check` for its verify callback (may be null for make_pinned_ctx). Its
/// BIO writes with MSG_NOSIGNAL: a peer that went away is an error, never a
/// SIGPIPE. The SSL does not own `fd`.
ssl_ptr make_ssl(SSL_CTX* ctx, int fd, bool server, peer_check* check);

/// Counts `check`'s connection as refused, once.
void count_refused(peer_check& check);

/// The identity in the peer's certificate after a verified handshake; a
/// peer without one is a joiner (authenticated = false).
peer_identity identity_of(SSL* ssl);

/// What a pinned dial learned about the server.
struct pinned_server {
  std::string root_pem;
  peer_identity peer;
};

/// After a pinned dial's handshake: accepts the server only if its chain
/// holds a self-signed CA whose SHA-256 (of the DER) is `pin`, and its
/// certificate verifies against that root alone and names a node. Refused
/// (errc::invalid_token): "the manager's CA does not match the join token"
/// plus, in parentheses, what did not match.
result<pinned_server> check_pinned(SSL* ssl, const std::string& pin);

} // namespace actorswarm::net
