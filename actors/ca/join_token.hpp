#pragma once

// Join tokens as Docker forms them: SWMTKN-1-<digest>-<secret>, where digest
// is the base-36 SHA-256 of the CA certificate (50 characters) and secret is
// 16 random bytes in base 36 (25 characters). Checked in constant time.

#include <string>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::ca {

/// Formats a token from the CA digest (32 bytes) and a secret (16 bytes).
std::string make_token(const std::string& ca_digest, const std::string& secret);

/// Parsed parts of a token.
struct token_parts {
  std::string digest;  // base 36, 50 chars
  std::string secret;  // base 36, 25 chars
};

/// Splits and shape-checks a token; a malformed one is `invalid_token`.
result<token_parts> parse_token(const std::string& token);

/// Which role `token` grants in `cluster`, or `invalid_token`. Compares in
/// constant time.
result<pb::NodeSpec::Role> check_token(const pb::Cluster& cluster,
                                       const std::string& token);

} // namespace actorswarm::ca
