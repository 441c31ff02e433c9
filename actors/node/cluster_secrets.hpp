#pragma once

// What the node's membership logic needs of cryptography, injected so the
// logic stays free of OpenSSL and net/: random bytes (Raft ids, process
// epochs, token secrets), the cluster's root CA, a certificate's digest
// (join tokens), node keys and node certificates. net/cluster_secrets.hpp
// provides the OpenSSL version; tests may pass deterministic fakes.

#include <cstddef>
#include <functional>
#include <string>

#include "messages/result.hpp"

namespace actorswarm::node {

/// A PEM certificate and its PEM private key.
struct cert_key_pem {
  std::string cert_pem;
  std::string key_pem;
};

/// The cryptographic primitives of membership. Every member must be set.
struct cluster_secrets {
  /// `n` cryptographically random bytes (exactly n). Never fails: an
  /// implementation without a working random source aborts.
  std::function<std::string(size_t n)> random_bytes;

  /// A new self-signed root CA for the cluster `cluster_id`, valid `days`
  /// days: its certificate and private key in PEM. A failure (e.g. the
  /// crypto library refused) is returned, not thrown.
  std::function<result<cert_key_pem>(const std::string& cluster_id, int days)>
    create_root_ca;

  /// The digest of the PEM certificate `cert_pem`: 32 raw bytes (SHA-256 of
  /// its DER encoding), the part of join tokens that names the CA. A
  /// certificate that does not parse is a failure.
  std::function<result<std::string>(const std::string& cert_pem)> cert_digest;

  /// A new private key for this node (PEM). It never leaves the node.
  std::function<result<std::string>()> create_node_key;

  /// The public key (PEM) of a PEM private key or certificate.
  std::function<result<std::string>(const std::string& pem)> public_key_of;

  /// A node certificate for `public_key_pem`, signed by the CA `ca`: CN
  /// `node_id`, OU swarm-manager or swarm-worker, O `cluster_id`, valid
  /// `days` days. A public key that does not parse is refused.
  std::function<result<std::string>(const cert_key_pem& ca,
                                    const std::string& public_key_pem,
                                    const std::string& node_id, bool manager,
                                    const std::string& cluster_id, int days)>
    issue_node_cert;
};

} // namespace actorswarm::node
