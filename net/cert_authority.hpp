#pragma once

// The cluster CA's OpenSSL work (DESIGN.md, Network; issue #8): a root key
// and self-signed certificate made at `swarm init`, its digest for join
// tokens, node keys and the node certificates the CA actor signs for them,
// their verification, and the cross-signature of a CA rotation. Every
// function is thread-safe and leaves this thread's OpenSSL error queue empty.

#include <string>

#include "messages/result.hpp"

namespace actorswarm::net {

/// A PEM certificate and its PEM private key.
struct key_pair_pem {
  std::string cert_pem;
  std::string key_pem;
};

/// Creates an ECDSA P-256 root CA, CN "swarm-ca", O = cluster id, valid
/// `days` days (from an hour ago): basicConstraints CA:TRUE, keyUsage
/// keyCertSign+cRLSign, a subject key id (two roots of one rotation share
/// the name; the key ids tell them apart).
result<key_pair_pem> create_root_ca(const std::string& cluster_id, int days);

/// SHA-256 of the certificate's DER encoding (32 raw bytes).
result<std::string> cert_digest(const std::string& cert_pem);

/// `n` cryptographically random bytes.
std::string random_bytes(size_t n);

/// Role names as they appear in a node certificate's OU (Docker's).
inline constexpr const char* manager_ou = "swarm-manager";
inline constexpr const char* worker_ou = "swarm-worker";

/// What a node certificate says: CN, OU, O.
struct cert_subject {
  std::string node_id;    // CN
  std::string role;       // OU: manager_ou or worker_ou
  std::string cluster_id; // O
};

/// A new ECDSA P-256 private key (PEM). Made where it is used: a node's key
/// never leaves the node.
result<std::string> create_node_key();

/// The public key (PEM, SubjectPublicKeyInfo) of a PEM private key.
result<std::string> public_key_of(const std::string& key_pem);

/// Signs a node certificate for `public_key_pem` with the CA `ca`: subject
/// `who`, EKU serverAuth+clientAuth (a node is both), valid from an hour
/// ago for `days` days (0: expired the second it is made, for tests), a
/// random serial, keyUsage digitalSignature, CA:FALSE, signed with
/// SHA-256. Refused (errc::invalid_spec): a public key that does not parse
/// or is not a P-256 EC key, a CA certificate and key that do not match, an
/// empty CN or O, an OU other than manager_ou or worker_ou, negative days.
result<std::string> issue_node_cert(const key_pair_pem& ca,
                                    const std::string& public_key_pem,
                                    const cert_subject& who, int days);

/// Verifies `cert_pem` against the roots in `roots_pem` (one or more PEM
/// certificates) at the current time, with `chain_pem` (may be empty) as
/// untrusted intermediates, and returns its subject. Refused
/// (errc::invalid_spec): a chain that does not verify, an expired
/// certificate, one not valid for TLS client and server, a subject without
/// exactly one CN, OU (a role) and O. The caller compares the cluster id.
result<cert_subject> verify_node_cert(const std::string& cert_pem,
                                      const std::string& roots_pem,
                                      const std::string& chain_pem = {});

/// The subject of a certificate, unverified (for display); refused like
/// verify_node_cert's subject check.
result<cert_subject> subject_of(const std::string& cert_pem);

/// When the certificate expires (Unix seconds).
result<int64_t> not_after(const std::string& cert_pem);

/// CA rotation: the new root `next` re-signed by the old root's key `prev`
/// (same subject and key as `next`), so nodes that trust only the old root
/// accept certificates of the new one while the rotation runs: they verify
/// with the cross-signed certificate as chain_pem. `next` must be a CA and
/// `prev` a root made by create_root_ca (it has a subject key id).
result<std::string> cross_sign(const key_pair_pem& prev,
                               const std::string& next_cert_pem);

} // namespace actorswarm::net
