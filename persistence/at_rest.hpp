#pragma once

// Encryption at rest for a locked (autolock) manager, after SwarmKit's
// manager/encryption: records are sealed with AES-256-GCM under a random
// data-encryption key (DEK); the DEK is stored wrapped by a key-encryption
// key (KEK) derived from the unlock key the user holds. Rotating the unlock
// key rewraps the DEK; the data is not re-encrypted. OpenSSL's EVP only, no
// CAF, no IO: the callers own the files.
//
// Sealed record (`cipher::seal`):
//   0x00 | version 0x01 | nonce (12 random bytes) | ciphertext | tag (16)
// The leading 0x00 cannot start a serialized protobuf message (field
// number 0 is invalid), so a reader tells a sealed record from a plain one.
// The associated data is a label naming the record's place (e.g.
// "raft-entry/42"): a record moved to another place does not open.
//
// Key file (`wrap_dek`): "ASKEY" | version 0x01 | state | salt (16) |
// sealed DEK, sealed under HKDF-SHA256(unlock key, salt, "actorswarm kek
// v1") with the label "actorswarm-dek/<state>", so the state cannot be
// changed without the key either. The unlock key carries 256 random bits,
// so HKDF suffices (no password stretching).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "messages/result.hpp"

namespace actorswarm::persistence::at_rest {

/// Bytes of a key (DEK, KEK and unlock key alike): AES-256.
constexpr size_t key_bytes = 32;

/// Bytes a sealed record adds to its plaintext (marker, version, nonce, tag).
constexpr size_t seal_overhead_bytes = 2 + 12 + 16;

/// The prefix of a human-readable unlock key (SwarmKit's `SWMKEY-1-`).
constexpr std::string_view unlock_key_prefix = "SWMKEY-1-";

/// A 256-bit key. Compared in constant time by `same_key`.
using key = std::array<unsigned char, key_bytes>;

/// The message of every refusal to open: a flipped byte and a wrong key look
/// alike to AES-GCM, so the text names both.
constexpr const char* open_refusal = "data dir corrupt or wrong unlock key";

/// A fresh key from OpenSSL's CSPRNG. Aborts (fail-stop) if it has no
/// entropy: a predictable key is worse than no daemon.
key random_key();

/// True if `a` and `b` are equal, in time independent of where they differ.
bool same_key(const key& a, const key& b);

/// `SWMKEY-1-<base64 of the 32 bytes, no padding>`, as `docker swarm
/// unlock-key` prints it.
std::string format_unlock_key(const key& x);

/// Parses `format_unlock_key`'s text (surrounding whitespace and base64
/// padding accepted). Fails with errc::bad_request "invalid key" otherwise
/// (docker's text for a key that does not parse).
result<key> parse_unlock_key(std::string_view text);

/// True if `x` has the layout of a sealed record (it may still not open).
bool is_sealed(std::string_view x);

/// AES-256-GCM under one DEK. Immutable after construction; thread-safe.
class cipher {
public:
  explicit cipher(const key& dek);

  /// Wipes the DEK from memory.
  ~cipher();

  cipher(const cipher&) = delete;
  cipher& operator=(const cipher&) = delete;

  /// `plain` sealed under a fresh random nonce, bound to `label`.
  std::string seal(std::string_view plain, std::string_view label) const;

  /// The plaintext of `sealed`, if it was sealed by this key with this
  /// exact label and not changed since. Fails with errc::internal
  /// "<label>: data dir corrupt or wrong unlock key" otherwise (truncated,
  /// any flipped bit, another key, another label); never returns garbage.
  result<std::string> open(std::string_view sealed,
                           std::string_view label) const;

  /// The DEK, for wrapping it under another KEK.
  const key& dek() const noexcept {
    return dek_;
  }

private:
  key dek_;
};

/// Where the data of a dir stands relative to its key file. A conversion
/// (autolock turned on or off) rewrites the stores after the key file says
/// so; a crash in between leaves the state that lets the next start finish
/// the conversion instead of losing the DEK or refusing plain data.
enum class key_state : unsigned char {
  /// Every record is sealed under the DEK.
  on = 'O',
  /// Turning autolock on: records may still be plain.
  enabling = 'E',
  /// Turning autolock off: records may already be plain.
  disabling = 'D',
};

/// The DEK and state of a key file.
struct unwrapped_dek {
  key dek;
  key_state state;
};

/// The key file content holding `dek` and `state`, wrapped under a KEK
/// derived from `unlock` (a fresh salt each call).
std::string wrap_dek(const key& dek, const key& unlock,
                     key_state state = key_state::on);

/// The DEK and state in key file content `file`. Fails with errc::refused
/// "invalid key" when `unlock` does not open it (docker's text for a wrong
/// unlock key; a damaged file reads the same), errc::internal when the file
/// is not a key file of a known version.
result<unwrapped_dek> unwrap_dek(std::string_view file, const key& unlock);

} // namespace actorswarm::persistence::at_rest
