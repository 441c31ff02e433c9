#pragma once

#include <cstddef>
#include <cstdint>

namespace actorswarm::persistence {

/// Extends the CRC-32C (Castagnoli) `crc` of earlier bytes over [data,
/// data + size). Start with 0. Matches RFC 3720's CRC-32C.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

} // namespace actorswarm::persistence
