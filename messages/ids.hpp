#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace actorswarm {

/// Length of object ids, as Docker's: 25 lowercase base-36 characters.
constexpr size_t id_length = 25;

/// Length of the id prefix tables show.
constexpr size_t id_short_length = 12;

/// Draws a new random object id from `gen`.
std::string new_id(std::mt19937_64& gen);

/// Draws a new random object id from a process-wide generator seeded from
/// the OS (std::random_device). For daemon use; logic takes a generator.
std::string new_id();

/// True when `x` has the shape of an object id.
bool is_id(const std::string& x);

/// Base-36 (0-9a-z) encoding of a big-endian byte string, as Docker encodes
/// the CA digest in join tokens.
std::string base36_encode(const std::string& bytes, size_t width);

/// The inverse of base36_encode: `bytes` big-endian bytes, or nothing for a
/// character outside [0-9a-z] or a number that does not fit.
std::optional<std::string> base36_decode(const std::string& text, size_t bytes);

} // namespace actorswarm
