#pragma once

// The leader's CA decisions, without CAF or OpenSSL (issue #8): which node
// certificates to reissue (issued by a root that is no longer current,
// within the last third of their validity, outliving the configured
// validity, or naming another role than the node's), the reissued
// certificate for the key a node already holds, and the steps of a root
// rotation (`swarm ca --rotate`): start (new root current, old root still
// trusted, cross-signed chain), done once every node holds a certificate of
// the new root, finish (old root dropped). What it needs to know of a
// certificate comes in as cert_inspector; keys and signatures as
// node::cluster_secrets.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actors/node/cluster_secrets.hpp"
#include "messages/cluster.pb.h"
#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::ca {

/// What the CA reads from a certificate. Every member must be set.
struct cert_inspector {
  /// Whether `cert_pem` verifies now against the single root `root_pem`.
  std::function<bool(const std::string& cert_pem, const std::string& root_pem)>
    issued_by;
  /// When `cert_pem` expires (Unix seconds).
  std::function<result<int64_t>(const std::string& cert_pem)> not_after;
  /// The role the certificate names (its OU: swarm-manager, swarm-worker).
  std::function<result<std::string>(const std::string& cert_pem)> role_of;
};

/// All the CA actor needs of cryptography (the daemon's is OpenSSL's,
/// ca_actor.hpp; tests pass fakes).
struct ca_crypto {
  node::cluster_secrets secrets;
  cert_inspector inspect;
  /// The new root `next_cert_pem` re-signed by the previous root `prev`.
  std::function<result<std::string>(const node::cert_key_pem& prev,
                                    const std::string& next_cert_pem)>
    cross_sign;
};

/// The validity `swarm update --cert-expiry` configured (ns), else
/// cluster_defaults::node_cert_days.
int64_t node_cert_expiry_ns(const pb::Cluster& c);

/// Days a reissued certificate is valid (issue_node_cert counts days): the
/// configured expiry rounded up to whole days, at least 1.
int node_cert_days(const pb::Cluster& c);

/// The validity reissued certificates really get (node_cert_days in ns),
/// which the renewal rules compare with, so a certificate just issued is
/// never due again.
int64_t issued_validity_ns(const pb::Cluster& c);

/// The minimum --cert-expiry (Docker's: one hour).
constexpr int64_t min_cert_expiry_ns = 3600LL * 1000 * 1000 * 1000;

/// Why a node's certificate is to be reissued.
enum class renew_reason {
  none,
  rotation,       // not issued by the cluster's current root
  expiry,         // within the last third of its validity (or expired)
  expiry_changed, // outlives the validity configured now
  role,           // its OU names another role than the node's
  unreadable,     // the certificate does not parse: reissue from nothing
};

/// A word for logs and progress ("rotation", "expiry", ...).
const char* reason_text(renew_reason r);

/// Why `n`'s certificate needs reissuing at `now_ns`, or none. A node
/// without a certificate (not admitted yet) is none.
renew_reason renewal_reason(const pb::Node& n, const pb::Cluster& c,
                            int64_t now_ns, const cert_inspector& insp);

/// A node whose certificate is due, and why.
struct due_cert {
  std::string node_id;
  renew_reason why = renew_reason::none;
};

/// The nodes of `nodes` whose certificates are due (renewal_reason), in
/// the order given.
std::vector<due_cert> due_renewals(const std::vector<pb::Node>& nodes,
                                   const pb::Cluster& c, int64_t now_ns,
                                   const cert_inspector& insp);

/// When (ns) the first certificate of `nodes` becomes due for expiry
/// (two thirds into its validity), or `now_ns + max_wait_ns` if later or
/// none is; never before `now_ns`.
int64_t next_due_ns(const std::vector<pb::Node>& nodes, const pb::Cluster& c,
                    int64_t now_ns, int64_t max_wait_ns,
                    const cert_inspector& insp);

/// A new certificate for node `n` (same public key, the node's current
/// role), signed by the cluster's current root, valid node_cert_days.
/// Refused: a node without a certificate, a certificate whose key does not
/// parse, a cluster without its CA key.
result<std::string> reissue(const pb::Node& n, const pb::Cluster& c,
                            const node::cluster_secrets& secrets);

/// Whether a root rotation runs (the previous root is still trusted).
bool rotating(const pb::Cluster& c);

/// The roots nodes trust now: the current root, and while rotating the
/// cross-signed certificate of the current one (first), the current root
/// and the previous root (the node's credentials send them as its chain,
/// so peers that still trust only the previous root accept certificates of
/// the current one).
std::string trusted_roots_pem(const pb::Cluster& c);

/// What the leader sends a node with its new certificate (CERT).
pb::CertUpdate cert_update(const pb::Cluster& c, const std::string& cert_pem);

/// `swarm ca --rotate`: `c` with `next` (made by create_root_ca) as its
/// current root and key, the current root kept as the previous one,
/// `cross_signed` (next re-signed by the current key) as the chain, and both
/// join tokens pinning the new root's digest with their secrets kept.
/// Refused: a rotation running already, a token that does not parse, a
/// digest that cannot be computed.
result<pb::Cluster> start_rotation(const pb::Cluster& c,
                                   const node::cert_key_pem& next,
                                   const std::string& cross_signed,
                                   const node::cluster_secrets& secrets);

/// Whether every node with a certificate holds one of the current root.
bool rotation_done(const std::vector<pb::Node>& nodes, const pb::Cluster& c,
                   const cert_inspector& insp);

/// `c` with the previous root and the cross-signed chain dropped.
pb::Cluster finish_rotation(const pb::Cluster& c);

/// How many of `nodes` (with a certificate) hold one of the current root,
/// for progress ("x/y nodes").
size_t nodes_on_current_root(const std::vector<pb::Node>& nodes,
                             const pb::Cluster& c, const cert_inspector& insp);

} // namespace actorswarm::ca
