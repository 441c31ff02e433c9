#pragma once

// Wire format of the control channel (DESIGN.md, Control channel): each frame
// is a 4-byte big-endian length followed by that many bytes of a serialized
// protobuf message (ControlRequest from the CLI, ControlReply from the daemon).

#include <cstdint>
#include <string>

namespace actorswarm::net {

/// Largest frame either side accepts; a bigger length is a protocol error.
constexpr uint32_t control_frame_size_max_bytes = 256u * 1024 * 1024;

/// Outcome of reading one frame.
enum class frame_status { ok, closed, too_large, io_error, timeout };

/// Reads one frame from `fd` into `out`. Blocks; `timeout_ms` < 0 waits
/// forever. `closed` means the peer closed before a frame started.
frame_status read_frame(int fd, std::string& out, int timeout_ms = -1);

/// Writes one frame to `fd`; false on any error (peer gone).
bool write_frame(int fd, const std::string& payload);

} // namespace actorswarm::net
