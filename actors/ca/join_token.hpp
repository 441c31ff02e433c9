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
  std::string digest; // base 36, 50 chars
  std::string secret; // base 36, 25 chars
};

/// Splits and shape-checks a token; a malformed one is `invalid_token`.
result<token_parts> parse_token(const std::string& token);

/// The CA digest a token pins (32 raw bytes, SHA-256 of the CA
/// certificate's DER): a joiner accepts a manager only if its CA has it.
result<std::string> pinned_ca_digest(const std::string& token);

/// Whether `a` and `b` are equal, comparing every byte whatever the first
/// difference (no early exit), so the time taken tells nothing of where a
/// guessed token goes wrong. Strings of different lengths are unequal at
/// once: every well-formed token has the same length.
bool constant_time_equal(const std::string& a, const std::string& b);

/// Which role `token` grants in `cluster`, or `invalid_token`: a malformed
/// token (parse_token's refusal), or one that matches neither of the
/// cluster's current tokens (rotated since, or another swarm's). Compares
/// with both tokens in constant time.
result<pb::NodeSpec::Role> check_token(const pb::Cluster& cluster,
                                       const std::string& token);

} // namespace actorswarm::ca
