#pragma once

// One connection of the cluster port's wire (net/tls_wire.hpp) and the steps
// that move it along: TLS handshake, the peer checks, the wire's hello,
// reading frames, writing what is queued. The loop thread of net/tls_wire.cpp
// owns every tls_conn and calls drive() when its socket is ready; nothing
// here touches epoll, timers or events.
//
// After the TLS handshake each end sends the 8-byte hello wire_hello and
// reports the connection up only once the peer's hello arrived: in TLS 1.3
// a client finishes its handshake before the server has checked the
// client's certificate, so the server's hello is the client's proof that
// it was accepted (a refused client sees the alert instead and never comes
// up). Frames follow the hello.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/frame_reader.hpp"
#include "net/tls_context.hpp"
#include "net/tls_wire.hpp"

namespace actorswarm::net {

/// The first bytes inside TLS from each end: a protocol name and version.
inline constexpr char wire_hello[] = "ASWIRE/1";
inline constexpr size_t wire_hello_bytes = sizeof(wire_hello) - 1;

struct tls_conn {
  using clock = std::chrono::steady_clock;

  enum class phase { connecting, handshaking, hello, up };

  tls_conn(conn_id id, bool inbound);
  ~tls_conn(); // frees the SSL, then closes the socket

  tls_conn(const tls_conn&) = delete;
  tls_conn& operator=(const tls_conn&) = delete;

  conn_id id;
  bool inbound;
  int fd = -1;
  phase ph = phase::connecting;
  /// close() was asked: write what is queued, then close.
  bool closing = false;
  /// Counted in stats().unauthenticated (inbound, not yet authenticated).
  bool counts_unauth = false;
  clock::time_point started = clock::now();
  clock::time_point deadline = clock::time_point::max();
  /// Epoll interest registered for fd.
  uint32_t interest = 0;
  /// For a dial: the address as given (for error lines).
  std::string addr;

  /// The credentials this connection started with (keeps the SSL_CTX and
  /// the cluster id of `check` alive), null for a pinned dial.
  std::shared_ptr<const tls_identity> identity;
  peer_check check;
  ssl_ptr ssl;
  /// A pinned dial: the SHA-256 of the root the server must present.
  std::optional<std::string> pin;
  /// A pinned dial that came up: that root (PEM).
  std::string root_pem;
  peer_identity peer;

  std::string hello_in;
  frame_reader reader;

  /// Plain bytes to write: frames with their headers, coalesced when small.
  std::deque<std::string> out;
  size_t out_off = 0;
  uint64_t queued = 0;
  /// An SSL_write of out.front() must be retried with the same arguments.
  bool write_blocked = false;
  /// The last SSL call needs the socket writable.
  bool want_write = false;
};

/// What one drive() found, in the order the wire reports it.
struct drive_result {
  /// The peer's hello arrived in this call: report on_up before frames.
  bool up = false;
  std::vector<std::string> frames;
  /// Close the connection with this reason (after the frames).
  std::optional<std::string> error;
  /// The error refuses the peer (its certificate, its pin).
  bool refused = false;
  /// The read budget ran out with data left: drive again soon.
  bool more = false;
};

/// Advances `c` (phase handshaking, hello or up) as far as its socket
/// allows: handshake and checks, hello, reads (at most a budget per call),
/// writes. Clears this thread's OpenSSL error queue before every SSL call.
drive_result drive(tls_conn& c, const wire_limits& limits);

/// Queues one frame on `c`. Fails (the connection must close) if the frame
/// does not fit a 32-bit length or the queue would exceed max_queued_bytes.
status queue_frame(tls_conn& c, std::string frame, uint64_t max_queued_bytes);

/// Sends close_notify if the socket takes it now; never waits.
void shutdown_quietly(tls_conn& c);

} // namespace actorswarm::net
