#pragma once

// The cluster CA's OpenSSL work (DESIGN.md, Network): a root key and
// self-signed certificate made at `swarm init`, and its digest for join
// tokens. The CA actor (security work) will also sign node certificates here.

#include <string>

#include "messages/result.hpp"

namespace actorswarm::net {

/// A PEM certificate and its PEM private key.
struct key_pair_pem {
  std::string cert_pem;
  std::string key_pem;
};

/// Creates an ECDSA P-256 root CA, CN "swarm-ca", valid `days` days.
result<key_pair_pem> create_root_ca(const std::string& cluster_id, int days);

/// SHA-256 of the certificate's DER encoding (32 raw bytes).
result<std::string> cert_digest(const std::string& cert_pem);

/// `n` cryptographically random bytes.
std::string random_bytes(size_t n);

} // namespace actorswarm::net
