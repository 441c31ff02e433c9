#include "net/tls_conn.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <unistd.h>

#include <openssl/err.h>

namespace actorswarm::net {

namespace {

// Bytes read from one connection per drive() before others get a turn.
constexpr size_t read_budget_bytes = 256 * 1024;

// Frames below this size are copied into a shared buffer (fewer, fuller TLS
// records); bigger ones are queued as they are, without a copy.
constexpr size_t coalesce_bytes = 64 * 1024;

// One SSL_write at most (it takes an int).
constexpr size_t max_write_bytes = size_t{1} << 24;

// The reason of a failed SSL call; `what` says which.
std::string ssl_failure(tls_conn& c, int ret, const char* what) {
  int err = SSL_get_error(c.ssl.get(), ret);
  int saved_errno = errno;
  if (err == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return "closed by the peer";
  }
  auto reason = take_ssl_error("");
  if (!c.check.reason.empty())
    return c.check.reason;
  if (!reason.empty())
    return std::string{what} + ": " + reason;
  if (err == SSL_ERROR_SYSCALL && ret < 0 && saved_errno != 0)
    return std::string{what} + ": " + std::strerror(saved_errno);
  return std::string{what} + ": connection closed by the peer";
}

// Whether a failed SSL call only waits for the socket; sets want_write.
bool waits(tls_conn& c, int ret) {
  switch (SSL_get_error(c.ssl.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return true;
    case SSL_ERROR_WANT_WRITE:
      c.want_write = true;
      return true;
    default:
      return false;
  }
}

// The checks after a finished handshake; false with r.error set if the
// peer is refused.
bool accept_peer(tls_conn& c, drive_result& r) {
  if (c.pin) {
    auto pinned = check_pinned(c.ssl.get(), *c.pin);
    if (!pinned) {
      r.error = pinned.error().message;
      r.refused = true;
      return false;
    }
    c.peer = std::move(pinned->peer);
    c.root_pem = std::move(pinned->root_pem);
    return true;
  }
  // The verify callback passed whatever certificate came; check that the
  // handshake's verdict agrees, and that a server presented one.
  c.peer = identity_of(c.ssl.get());
  bool has_cert = SSL_get0_peer_certificate(c.ssl.get()) != nullptr;
  if (has_cert
      && (SSL_get_verify_result(c.ssl.get()) != X509_V_OK
          || !c.peer.authenticated)) {
    r.error = "certificate refused";
    r.refused = true;
    return false;
  }
  if (!c.inbound && !has_cert) {
    r.error = "the server presented no certificate";
    r.refused = true;
    return false;
  }
  return true;
}

// The TLS handshake; true once it is done and the peer accepted.
bool handshake(tls_conn& c, drive_result& r) {
  ERR_clear_error();
  int ret = SSL_do_handshake(c.ssl.get());
  if (ret != 1) {
    if (!waits(c, ret)) {
      r.error = ssl_failure(c, ret, "TLS handshake failed");
      r.refused = !c.check.reason.empty();
    }
    return false;
  }
  if (!accept_peer(c, r))
    return false;
  // Our hello goes before any frame queued while the handshake ran.
  c.out.emplace_front(wire_hello, wire_hello_bytes);
  c.queued += wire_hello_bytes;
  c.ph = tls_conn::phase::hello;
  return true;
}

// Takes decrypted bytes: the peer's hello first, then frames.
void take(tls_conn& c, const wire_limits& limits, const char* data, size_t n,
          drive_result& r) {
  if (c.ph == tls_conn::phase::hello) {
    auto need = wire_hello_bytes - c.hello_in.size();
    auto k = std::min(need, n);
    c.hello_in.append(data, k);
    data += k;
    n -= k;
    if (c.hello_in.size() < wire_hello_bytes)
      return;
    if (c.hello_in != std::string(wire_hello, wire_hello_bytes)) {
      r.error = "the peer does not speak this wire protocol";
      r.refused = true;
      return;
    }
    c.ph = tls_conn::phase::up;
    c.reader.limit(c.peer.authenticated
                     ? limits.max_frame_bytes
                     : limits.max_unauthenticated_frame_bytes);
    r.up = true;
  }
  if (auto st = c.reader.consume(data, n, r.frames); !st)
    r.error = st.error().message;
}

void read_some(tls_conn& c, const wire_limits& limits, drive_result& r) {
  char buf[16 * 1024];
  size_t budget = read_budget_bytes;
  while (budget > 0 && !r.error) {
    ERR_clear_error();
    int n = SSL_read(c.ssl.get(), buf, sizeof(buf));
    if (n <= 0) {
      if (!waits(c, n))
        r.error = ssl_failure(c, n,
                              c.ph == tls_conn::phase::up
                                ? "connection lost"
                                : "TLS handshake failed");
      return;
    }
    budget -= std::min(budget, static_cast<size_t>(n));
    take(c, limits, buf, static_cast<size_t>(n), r);
  }
  r.more = budget == 0 && !r.error;
}

void flush(tls_conn& c, drive_result& r) {
  // Each round writes bytes, drops an empty buffer or returns.
  while (!c.out.empty()) {
    auto& front = c.out.front();
    if (c.out_off == front.size()) {
      c.out.pop_front();
      c.out_off = 0;
      continue;
    }
    auto len = std::min(front.size() - c.out_off, max_write_bytes);
    ERR_clear_error();
    int n = SSL_write(c.ssl.get(), front.data() + c.out_off,
                      static_cast<int>(len));
    if (n <= 0) {
      if (waits(c, n))
        c.write_blocked = true;
      else
        r.error = ssl_failure(c, n, "connection lost");
      return;
    }
    c.write_blocked = false;
    c.out_off += static_cast<size_t>(n);
    c.queued -= static_cast<uint64_t>(n);
  }
}

} // namespace

tls_conn::tls_conn(conn_id id, bool inbound) : id(id), inbound(inbound) {
  // nop
}

tls_conn::~tls_conn() {
  ssl.reset();
  if (fd >= 0)
    ::close(fd);
}

drive_result drive(tls_conn& c, const wire_limits& limits) {
  drive_result r;
  c.want_write = false;
  if (c.ph == tls_conn::phase::handshaking && !handshake(c, r))
    return r;
  if (c.ph == tls_conn::phase::connecting)
    return r;
  read_some(c, limits, r);
  if (!r.error)
    flush(c, r);
  return r;
}

status queue_frame(tls_conn& c, std::string frame, uint64_t max_queued_bytes) {
  if (frame.size() > UINT32_MAX)
    return fail(errc::bad_request, "a frame of " + std::to_string(frame.size())
                                     + " bytes does not fit the wire");
  auto total = frame_header_bytes + frame.size();
  if (c.queued + total > max_queued_bytes)
    return fail(errc::refused,
                "the peer does not read: " + std::to_string(c.queued + total)
                  + " bytes queued");
  c.queued += total;
  auto header = frame_header(static_cast<uint32_t>(frame.size()));
  // A buffer whose write is under way must be retried unchanged.
  bool back_open = !c.out.empty()
                   && !(c.out.size() == 1 && (c.out_off > 0 || c.write_blocked))
                   && c.out.back().size() < coalesce_bytes;
  if (!back_open)
    c.out.emplace_back();
  c.out.back() += header;
  if (frame.size() < coalesce_bytes)
    c.out.back() += frame;
  else
    c.out.push_back(std::move(frame));
  return ok_status();
}

void shutdown_quietly(tls_conn& c) {
  if (!c.ssl || c.ph != tls_conn::phase::up)
    return;
  ERR_clear_error();
  SSL_shutdown(c.ssl.get());
  ERR_clear_error();
}

} // namespace actorswarm::net
