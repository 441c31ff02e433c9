#include "actors/ca/join_token.hpp"

#include "messages/ids.hpp"

namespace actorswarm::ca {

namespace {

constexpr const char* prefix = "SWMTKN-1-";

bool is_base36(const std::string& x) {
  for (char c : x)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')))
      return false;
  return true;
}

} // namespace

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string make_token(const std::string& ca_digest,
                       const std::string& secret) {
  return std::string{prefix} + base36_encode(ca_digest, 50) + "-"
         + base36_encode(secret, 25);
}

result<token_parts> parse_token(const std::string& token) {
  auto bad = fail(errc::invalid_token,
                  "invalid join token: expected SWMTKN-1-<digest>-<secret>");
  std::string p{prefix};
  if (token.compare(0, p.size(), p) != 0)
    return bad;
  auto rest = token.substr(p.size());
  auto dash = rest.find('-');
  if (dash == std::string::npos)
    return bad;
  token_parts out{rest.substr(0, dash), rest.substr(dash + 1)};
  if (out.digest.size() != 50 || out.secret.size() != 25
      || !is_base36(out.digest) || !is_base36(out.secret))
    return bad;
  return out;
}

result<std::string> pinned_ca_digest(const std::string& token) {
  auto parts = parse_token(token);
  if (!parts)
    return parts.error();
  auto raw = base36_decode(parts->digest, 32);
  if (!raw)
    return fail(errc::invalid_token,
                "invalid join token: its CA digest is out of range");
  return *raw;
}

result<pb::NodeSpec::Role> check_token(const pb::Cluster& cluster,
                                       const std::string& token) {
  auto parts = parse_token(token);
  if (!parts)
    return parts.error();
  bool worker = constant_time_equal(token, cluster.join_tokens().worker());
  bool manager = constant_time_equal(token, cluster.join_tokens().manager());
  if (manager)
    return pb::NodeSpec::MANAGER;
  if (worker)
    return pb::NodeSpec::WORKER;
  return fail(errc::invalid_token,
              "invalid join token: it does not match this swarm's current "
              "tokens (rotated, or from another swarm)");
}

} // namespace actorswarm::ca
