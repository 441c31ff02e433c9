#pragma once

// Wire format of the control channel (DESIGN.md, Control channel): each frame
// is a 4-byte big-endian length followed by that many bytes of a serialized
// protobuf message (ControlRequest from the CLI, ControlReply from the daemon).
//
// The reader never trusts the announced length for memory: the buffer grows
// with the bytes that arrived (issue #8: four idle connections announcing
// 256 MiB each once took the daemon to 1 GB).

#include <cstdint>
#include <string>

namespace actorswarm::net {

/// Largest frame either side accepts; a bigger length is a protocol error.
constexpr uint32_t control_frame_size_max_bytes = 256u * 1024 * 1024;

/// Outcome of reading one frame.
enum class frame_status { ok, closed, too_large, io_error, timeout };

/// Limits of one read_frame call.
struct frame_limits {
  /// Largest body accepted; a larger announced length is `too_large`, with
  /// no body byte read and nothing reserved.
  uint32_t max_bytes = control_frame_size_max_bytes;
  /// Longest wait for any byte (before the frame and between two reads);
  /// < 0 waits forever.
  int idle_timeout_ms = -1;
  /// Once the first byte of a frame arrived, the whole frame must arrive
  /// within this; < 0: no deadline beyond idle_timeout_ms.
  int frame_deadline_ms = -1;
};

/// Reads one frame from `fd` into `out` within `lim`. Blocks. `closed` means
/// the peer closed before a frame started. `out` holds what arrived, and its
/// capacity stays within about twice that (plus one 64 KiB read).
frame_status read_frame(int fd, std::string& out, const frame_limits& lim);

/// Reads one frame of at most control_frame_size_max_bytes; `timeout_ms`
/// bounds both the wait for each byte and the whole frame (< 0: forever).
frame_status read_frame(int fd, std::string& out, int timeout_ms = -1);

/// Writes one frame to `fd`; false on any error (peer gone).
bool write_frame(int fd, const std::string& payload);

} // namespace actorswarm::net
