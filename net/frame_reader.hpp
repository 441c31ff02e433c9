#pragma once

// Frame assembly for the cluster port's wire (net/tls_wire.hpp): a 4-byte
// big-endian length, then that many bytes. No OpenSSL, no sockets, no CAF:
// the wire feeds it the bytes a connection decrypted.
//
// Memory: the buffer of the frame in progress grows only with bytes that
// arrived, never from the announced length, so a peer that announces 2 GiB
// and sends nothing costs 4 bytes; a length above the limit fails at once.

#include <cstdint>
#include <string>
#include <vector>

#include "messages/result.hpp"

namespace actorswarm::net {

/// Bytes of a frame header.
inline constexpr size_t frame_header_bytes = 4;

/// `n` as a frame header (n must fit in 32 bits).
std::string frame_header(uint32_t n);

/// Splits a byte stream into frames of at most a limit.
class frame_reader {
public:
  /// Frames of at most `max_frame_bytes` bytes (the header not counted).
  explicit frame_reader(uint64_t max_frame_bytes = 0);

  /// Changes the limit (a connection's class is known once its peer is
  /// authenticated, before any frame is read).
  void limit(uint64_t max_frame_bytes);

  /// Appends the frames completed by [data, data + n) to `out`, in order.
  /// Fails (errc::bad_request, one line naming the length) when a header
  /// announces more than the limit; the reader then stays failed and takes
  /// no more bytes. Frames completed before the bad header are in `out`.
  status consume(const char* data, size_t n, std::vector<std::string>& out);

  /// Bytes held for the frame in progress (its header included).
  size_t buffered() const;

  /// Memory held for the frame in progress (at most about twice buffered()).
  size_t capacity() const;

private:
  uint64_t limit_;
  char header_[frame_header_bytes] = {0};
  size_t header_len_ = 0;
  uint32_t announced_ = 0;
  std::string body_;
  bool failed_ = false;
};

} // namespace actorswarm::net
