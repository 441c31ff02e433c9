#pragma once

// The OpenSSL implementation of the node's cluster_secrets (random bytes,
// root CA, certificate digest), built on net/cert_authority. The actor glue
// hands it to the membership logic.

#include "actors/node/cluster_secrets.hpp"

namespace actorswarm::net {

/// cluster_secrets backed by OpenSSL (RAND_bytes, an ECDSA P-256 root CA,
/// SHA-256 of the certificate's DER).
node::cluster_secrets openssl_secrets();

} // namespace actorswarm::net
