#include "actors/ca/renewal.hpp"

#include <algorithm>

#include "actors/ca/join_token.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::ca {

namespace {

constexpr int64_t ns_per_s = 1000LL * 1000 * 1000;
constexpr int64_t ns_per_day = 86400LL * ns_per_s;
// A certificate outlives the configured validity by more than this before
// it counts as issued under an older, longer --cert-expiry (notBefore is
// backdated an hour; clocks differ a little).
constexpr int64_t expiry_slack_ns = 600LL * ns_per_s;

const char* role_ou(pb::NodeSpec::Role r) {
  return r == pb::NodeSpec::MANAGER ? "swarm-manager" : "swarm-worker";
}

// The token `token` pinning `digest` (32 raw bytes) with its secret kept.
result<std::string> repin(const std::string& token, const std::string& digest) {
  auto old = parse_token(token);
  if (!old)
    return old.error();
  auto fresh = parse_token(make_token(digest, std::string(16, '\0')));
  if (!fresh)
    return fresh.error();
  return "SWMTKN-1-" + fresh->digest + "-" + old->secret;
}

} // namespace

int64_t node_cert_expiry_ns(const pb::Cluster& c) {
  auto x = c.spec().ca_config().node_cert_expiry_ns();
  return x > 0 ? x : cluster_defaults::node_cert_days * ns_per_day;
}

int node_cert_days(const pb::Cluster& c) {
  auto ns = node_cert_expiry_ns(c);
  return static_cast<int>(std::max<int64_t>(1, (ns + ns_per_day - 1)
                                                 / ns_per_day));
}

int64_t issued_validity_ns(const pb::Cluster& c) {
  return node_cert_days(c) * ns_per_day;
}

const char* reason_text(renew_reason r) {
  switch (r) {
    case renew_reason::none:
      return "none";
    case renew_reason::rotation:
      return "rotation";
    case renew_reason::expiry:
      return "expiry";
    case renew_reason::expiry_changed:
      return "expiry changed";
    case renew_reason::role:
      return "role";
    case renew_reason::unreadable:
      return "unreadable";
  }
  return "none";
}

renew_reason renewal_reason(const pb::Node& n, const pb::Cluster& c,
                            int64_t now_ns, const cert_inspector& insp) {
  const auto& cert = n.certificate_pem();
  if (cert.empty() || c.root_ca_cert_pem().empty())
    return renew_reason::none;
  auto until = insp.not_after(cert);
  auto role = insp.role_of(cert);
  if (!until || !role)
    return renew_reason::unreadable;
  if (!insp.issued_by(cert, c.root_ca_cert_pem()))
    return renew_reason::rotation;
  if (*role != role_ou(n.role()))
    return renew_reason::role;
  auto left = *until * ns_per_s - now_ns;
  auto validity = issued_validity_ns(c);
  if (left < validity / 3)
    return renew_reason::expiry;
  if (left > validity + expiry_slack_ns)
    return renew_reason::expiry_changed;
  return renew_reason::none;
}

std::vector<due_cert> due_renewals(const std::vector<pb::Node>& nodes,
                                   const pb::Cluster& c, int64_t now_ns,
                                   const cert_inspector& insp) {
  std::vector<due_cert> out;
  for (const auto& n : nodes)
    if (auto why = renewal_reason(n, c, now_ns, insp);
        why != renew_reason::none)
      out.push_back({n.id(), why});
  return out;
}

int64_t next_due_ns(const std::vector<pb::Node>& nodes, const pb::Cluster& c,
                    int64_t now_ns, int64_t max_wait_ns,
                    const cert_inspector& insp) {
  auto out = now_ns + max_wait_ns;
  auto validity = issued_validity_ns(c);
  for (const auto& n : nodes) {
    if (n.certificate_pem().empty())
      continue;
    auto until = insp.not_after(n.certificate_pem());
    if (!until)
      continue;
    out = std::min(out, *until * ns_per_s - validity / 3);
  }
  return std::max(out, now_ns);
}

result<std::string> reissue(const pb::Node& n, const pb::Cluster& c,
                            const node::cluster_secrets& secrets) {
  if (n.certificate_pem().empty())
    return fail(errc::not_found, "node " + n.id() + " holds no certificate");
  if (c.root_ca_key_pem().empty())
    return fail(errc::internal, "this manager holds no CA key");
  auto pub = secrets.public_key_of(n.certificate_pem());
  if (!pub)
    return pub.error();
  return secrets.issue_node_cert({c.root_ca_cert_pem(), c.root_ca_key_pem()},
                                 *pub, n.id(),
                                 n.role() == pb::NodeSpec::MANAGER, c.id(),
                                 node_cert_days(c));
}

bool rotating(const pb::Cluster& c) {
  return !c.previous_root_ca_cert_pem().empty();
}

std::string trusted_roots_pem(const pb::Cluster& c) {
  if (!rotating(c))
    return c.root_ca_cert_pem();
  std::string out;
  auto add = [&out](const std::string& pem) {
    if (pem.empty())
      return;
    if (!out.empty() && out.back() != '\n')
      out += '\n';
    out += pem;
  };
  // The cross-signed certificate first: sent as the chain, a peer that
  // trusts only the previous root finds it before the new self-signed root
  // (same subject and key) and verifies through it.
  add(c.cross_signed_ca_cert_pem());
  add(c.root_ca_cert_pem());
  add(c.previous_root_ca_cert_pem());
  return out;
}

pb::CertUpdate cert_update(const pb::Cluster& c, const std::string& cert_pem) {
  pb::CertUpdate out;
  out.set_certificate_pem(cert_pem);
  out.set_trusted_roots_pem(trusted_roots_pem(c));
  out.set_chain_pem(rotating(c) ? c.cross_signed_ca_cert_pem()
                                : c.root_ca_cert_pem());
  return out;
}

result<pb::Cluster> start_rotation(const pb::Cluster& c,
                                   const node::cert_key_pem& next,
                                   const std::string& cross_signed,
                                   const node::cluster_secrets& secrets) {
  if (rotating(c))
    return fail(errc::refused, "a CA rotation is already in progress");
  if (next.cert_pem.empty() || next.key_pem.empty())
    return fail(errc::internal, "no new root CA was made for the rotation");
  auto digest = secrets.cert_digest(next.cert_pem);
  if (!digest)
    return digest.error();
  auto out = c;
  auto* tokens = out.mutable_join_tokens();
  for (auto* t : {tokens->mutable_worker(), tokens->mutable_manager()}) {
    if (t->empty())
      continue;
    auto x = repin(*t, *digest);
    if (!x)
      return x.error();
    *t = std::move(*x);
  }
  out.set_previous_root_ca_cert_pem(c.root_ca_cert_pem());
  out.set_cross_signed_ca_cert_pem(cross_signed);
  out.set_root_ca_cert_pem(next.cert_pem);
  out.set_root_ca_key_pem(next.key_pem);
  return out;
}

bool rotation_done(const std::vector<pb::Node>& nodes, const pb::Cluster& c,
                   const cert_inspector& insp) {
  size_t with_cert = 0;
  for (const auto& n : nodes)
    with_cert += n.certificate_pem().empty() ? 0 : 1;
  return nodes_on_current_root(nodes, c, insp) == with_cert;
}

pb::Cluster finish_rotation(const pb::Cluster& c) {
  auto out = c;
  out.clear_previous_root_ca_cert_pem();
  out.clear_cross_signed_ca_cert_pem();
  return out;
}

size_t nodes_on_current_root(const std::vector<pb::Node>& nodes,
                             const pb::Cluster& c, const cert_inspector& insp) {
  size_t out = 0;
  for (const auto& n : nodes)
    if (!n.certificate_pem().empty()
        && insp.issued_by(n.certificate_pem(), c.root_ca_cert_pem()))
      ++out;
  return out;
}

} // namespace actorswarm::ca
