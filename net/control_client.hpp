#pragma once

// Client side of the control channel (DESIGN.md, Control channel): connects to
// the daemon's Unix socket, sends one ControlRequest frame and reads
// ControlReply frames until one has `more == false`. One request per
// connection, so the daemon's acceptor may close after each reply. No CAF, no
// threads: a CLI call costs one connect and one round trip.

#include <functional>
#include <string>

#include "messages/control.pb.h"

namespace actorswarm::net {

/// How a control call ended. Only `ok` means every reply frame arrived.
enum class call_status {
  ok,          ///< all replies received (the last had more == false)
  unreachable, ///< connect failed: no socket, refused, permission denied
  io_error,    ///< the connection broke mid-call, or the daemon closed it
  bad_reply,   ///< a frame that does not parse as a ControlReply
  timeout,     ///< no frame within the timeout
  stopped,     ///< the reply handler asked to stop early
};

/// Outcome of control_call: status plus a one-line detail (errno text, ...).
struct call_outcome {
  call_status status = call_status::ok;
  std::string detail;
};

/// Called once per reply frame, in order; returns false to stop reading
/// (the connection is then closed, e.g. when `logs -f` is interrupted).
using reply_handler = std::function<bool(const pb::ControlReply&)>;

/// Splits a `unix://PATH` address into PATH; returns false for any other
/// scheme or an empty path.
bool parse_unix_addr(const std::string& addr, std::string& path);

/// Connects to the Unix socket at `socket_path` (no scheme). Returns the fd
/// (close-on-exec) or -1 with `err` set to the errno text.
int connect_unix(const std::string& socket_path, std::string& err);

/// Sends `req` on a new connection to `socket_path` and hands each reply
/// frame to `on_reply`. `timeout_ms` bounds the wait for each frame; < 0
/// waits forever (logs --follow). Blocks the caller; never throws.
call_outcome control_call(const std::string& socket_path,
                          const pb::ControlRequest& req,
                          const reply_handler& on_reply, int timeout_ms);

/// Like control_call, on an already connected `fd` (not closed here).
/// Tests use it with a socketpair.
call_outcome control_call_fd(int fd, const pb::ControlRequest& req,
                             const reply_handler& on_reply, int timeout_ms);

} // namespace actorswarm::net
