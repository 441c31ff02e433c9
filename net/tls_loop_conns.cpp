#include "net/tls_loop.hpp"

#include <cerrno>
#include <cstring>

#include <sys/epoll.h>
#include <unistd.h>

#include "messages/log.hpp"
#include "net/tls_socket.hpp"

namespace actorswarm::net {

namespace {

// Accepts per wakeup, so a flood of connects cannot starve the others.
constexpr int accepts_per_round = 64;

// How long the listener rests when the process is out of descriptors.
constexpr auto listen_pause = std::chrono::milliseconds(100);

std::chrono::milliseconds ms(uint64_t x) {
  return std::chrono::milliseconds(static_cast<int64_t>(x));
}

} // namespace

// -- accepting and dialing ----------------------------------------------------

void tls_loop::accept_some() {
  for (int i = 0; i < accepts_per_round; ++i) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      accept_one(fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED)
      continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
        || errno == ENOMEM) {
      // The listener stays readable: rest instead of spinning on it.
      logger("wire")->warn("accept failed: {}", std::strerror(errno));
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, lfd, nullptr);
      listen_resume_ = clock::now() + listen_pause;
    }
    return;
  }
}

void tls_loop::accept_one(int fd) {
  // Unauthenticated peers cost one connection each, and only so many.
  if (unauth.load() >= limits_.max_unauthenticated) {
    ++refused;
    ::close(fd);
    return;
  }
  no_delay(fd);
  auto owned = std::make_unique<tls_conn>(next_id++, true);
  auto& c = *owned;
  conns_.emplace(c.id, std::move(owned));
  c.fd = fd;
  c.identity = current_identity();
  c.check.cluster_id = &c.identity->cluster_id;
  c.check.revoked = &revoked_;
  c.check.refused = &refused;
  c.ph = tls_conn::phase::handshaking;
  c.counts_unauth = true;
  ++unauth;
  ++open_count;
  set_deadline(c, c.started + ms(limits_.handshake_timeout_ms));
  c.ssl = make_ssl(c.identity->ctx.get(), fd, true, &c.check);
  if (!c.ssl) {
    finish(c, "cannot create a TLS session", true);
    return;
  }
  watch(c, EPOLLIN);
}

void tls_loop::dial(wire_command& cmd) {
  auto owned = std::make_unique<tls_conn>(cmd.c, false);
  auto& c = *owned;
  conns_.emplace(c.id, std::move(owned));
  ++open_count;
  c.addr = cmd.data;
  c.pin = cmd.opts.pinned_root;
  c.check.refused = &refused;
  c.check.revoked = &revoked_;
  if (!c.pin) {
    c.identity = current_identity();
    if (!c.identity) {
      finish(c, "this node has no certificate: dial with a pinned root", false);
      return;
    }
    c.check.cluster_id = &c.identity->cluster_id;
  }
  set_deadline(c, c.started + ms(cmd.opts.timeout_ms));
  auto to = parse_endpoint(cmd.data);
  if (!to) {
    finish(c, to.error().message, false);
    return;
  }
  auto fd = connect_to(*to);
  if (!fd) {
    finish(c, "cannot connect to " + c.addr + ": " + fd.error().message, false);
    return;
  }
  c.fd = *fd;
  watch(c, EPOLLIN | EPOLLOUT);
}

void tls_loop::connected(tls_conn& c) {
  if (auto err = connect_error(c.fd); err != 0) {
    finish(c, "cannot connect to " + c.addr + ": " + std::strerror(err), false);
    return;
  }
  auto* ctx = c.pin ? pinned_ctx_.get() : c.identity->ctx.get();
  c.ssl = make_ssl(ctx, c.fd, false, c.pin ? nullptr : &c.check);
  if (!c.ssl) {
    finish(c, "cannot create a TLS session", false);
    return;
  }
  c.ph = tls_conn::phase::handshaking;
  advance(c);
}

// -- driving connections ------------------------------------------------------

void tls_loop::service(conn_id id) {
  auto i = conns_.find(id);
  if (i == conns_.end())
    return; // closed earlier in this round
  if (i->second->ph == tls_conn::phase::connecting)
    connected(*i->second);
  else
    advance(*i->second);
}

void tls_loop::advance(tls_conn& c) {
  auto r = drive(c, limits_);
  if (r.up && !came_up(c))
    return;
  // After close() nothing more is delivered; on_down comes next.
  if (!c.closing)
    for (auto& f : r.frames)
      events_.on_frame(c.id, std::move(f));
  if (r.error) {
    finish(c, *r.error, r.refused);
    return;
  }
  if (c.closing && c.out.empty()) {
    close_now(c, "closed by this node");
    return;
  }
  if (r.more)
    again_.push_back(c.id);
  watch(c, EPOLLIN | (c.want_write ? EPOLLOUT : 0u));
}

bool tls_loop::came_up(tls_conn& c) {
  // A revocation that came while the handshake ran.
  if (c.peer.authenticated && revoked_.count(c.peer.node_id) > 0) {
    finish(c, "the certificate of node " + c.peer.node_id + " is revoked",
           true);
    return false;
  }
  if (c.inbound && c.peer.authenticated) {
    c.counts_unauth = false;
    --unauth;
    set_deadline(c, clock::time_point::max());
  } else if (c.inbound) {
    // A joiner: its lifetime counts from accept, handshake included.
    set_deadline(c, c.started + ms(limits_.unauthenticated_lifetime_ms));
  } else {
    set_deadline(c, clock::time_point::max());
  }
  if (!c.root_pem.empty()) {
    std::lock_guard<std::mutex> guard{mu};
    roots[c.id] = c.root_pem;
  }
  events_.on_up(c.id, c.peer);
  return true;
}

void tls_loop::finish(tls_conn& c, const std::string& reason, bool refuse) {
  bool was_up = c.ph == tls_conn::phase::up;
  // An inbound peer that never came up was refused, whatever the reason.
  if (refuse || (c.inbound && !was_up))
    count_refused(c.check);
  if (c.counts_unauth)
    --unauth;
  --open_count;
  if (c.interest != 0)
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  if (!c.root_pem.empty()) {
    std::lock_guard<std::mutex> guard{mu};
    roots.erase(c.id);
  }
  if (c.inbound && !was_up)
    logger("wire")->debug("refused inbound connection: {}", reason);
  auto id = c.id;
  // Inbound connections that never came up were never reported.
  bool report = was_up || !c.inbound;
  conns_.erase(id); // closes the socket, after the counters above
  if (report)
    events_.on_down(id, reason);
}

void tls_loop::close_now(tls_conn& c, const std::string& reason) {
  shutdown_quietly(c);
  finish(c, reason, false);
}

void tls_loop::expire(tls_conn& c) {
  if (c.closing) {
    finish(c, "closed by this node before its queue was written", false);
  } else if (c.ph == tls_conn::phase::up) {
    close_now(c, "the joiner's time of "
                   + std::to_string(limits_.unauthenticated_lifetime_ms)
                   + " ms is over");
  } else if (c.inbound) {
    finish(c,
           "TLS handshake not finished within "
             + std::to_string(limits_.handshake_timeout_ms) + " ms",
           true);
  } else {
    finish(c, "cannot connect to " + c.addr + ": timed out", false);
  }
}

} // namespace actorswarm::net
