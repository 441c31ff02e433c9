#include "net/tls_wire.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "messages/log.hpp"
#include "net/tls_conn.hpp"
#include "net/tls_socket.hpp"

namespace actorswarm::net {

namespace {

using clock = std::chrono::steady_clock;

// Epoll keys besides connection ids (which start at 1 and never wrap).
constexpr uint64_t listener_key = 0;
constexpr uint64_t wakeup_key = UINT64_MAX;

// Accepts per wakeup, so a flood of connects cannot starve the others.
constexpr int accepts_per_round = 64;

// How long the listener rests when the process is out of descriptors.
constexpr auto listen_pause = std::chrono::milliseconds(100);

struct command {
  enum class kind { dial, send, close, revoke };
  kind k;
  conn_id c = 0;
  std::string data;
  dial_options opts;
  std::vector<std::string> ids;
};

std::chrono::milliseconds ms(uint64_t x) {
  return std::chrono::milliseconds(static_cast<int64_t>(x));
}

} // namespace

struct tls_wire::impl {
  impl(wire_events& ev, wire_limits lim) : events(ev), limits(lim) {
    // nop
  }

  ~impl() {
    conns.clear();
    for (int fd : {lfd, ep, wake})
      if (fd >= 0)
        ::close(fd);
  }

  // -- shared with callers (under mu) ---------------------------------------

  mutable std::mutex mu;
  std::vector<command> cmds;
  bool wake_pending = false;
  bool stop = false;
  std::shared_ptr<const tls_identity> identity;
  std::unordered_map<conn_id, std::string> roots;
  std::atomic<conn_id> next_id{1};
  std::atomic<size_t> open{0};
  std::atomic<size_t> unauth{0};
  std::atomic<uint64_t> refused{0};

  // -- loop thread only -----------------------------------------------------

  wire_events& events;
  wire_limits limits;
  int ep = -1;
  int wake = -1;
  int lfd = -1;
  uint16_t port = 0;
  ssl_ctx_ptr pinned_ctx;
  std::unordered_map<conn_id, std::unique_ptr<tls_conn>> conns;
  std::unordered_set<std::string> revoked;
  using timer = std::pair<clock::time_point, conn_id>;
  std::priority_queue<timer, std::vector<timer>, std::greater<timer>> timers;
  std::vector<conn_id> again;
  clock::time_point listen_resume = clock::time_point::max();
  std::thread thread;

  // -- caller side ----------------------------------------------------------

  void post(command cmd) {
    std::lock_guard<std::mutex> guard{mu};
    cmds.push_back(std::move(cmd));
    if (!wake_pending) {
      wake_pending = true;
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake, &one, sizeof(one));
    }
  }

  std::shared_ptr<const tls_identity> current_identity() {
    std::lock_guard<std::mutex> guard{mu};
    return identity;
  }

  // -- the loop -------------------------------------------------------------

  void run() {
    epoll_event evs[64];
    for (;;) {
      int n = epoll_wait(ep, evs, 64, next_timeout_ms());
      if (n < 0 && errno != EINTR) {
        logger("wire")->critical("epoll_wait failed: {}", std::strerror(errno));
        std::abort();
      }
      for (int i = 0; i < n; ++i)
        dispatch(evs[i].data.u64);
      if (!run_commands())
        return;
      run_again();
      expire_timers();
    }
  }

  void dispatch(uint64_t key) {
    if (key == wakeup_key) {
      uint64_t x = 0;
      [[maybe_unused]] auto n = ::read(wake, &x, sizeof(x));
    } else if (key == listener_key) {
      accept_some();
    } else {
      service(key);
    }
  }

  int next_timeout_ms() {
    if (!again.empty())
      return 0;
    while (!timers.empty() && !live_timer(timers.top()))
      timers.pop();
    auto next = listen_resume;
    if (!timers.empty())
      next = std::min(next, timers.top().first);
    if (next == clock::time_point::max())
      return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(next
                                                             - clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
  }

  bool live_timer(const timer& t) {
    auto i = conns.find(t.second);
    return i != conns.end() && i->second->deadline == t.first;
  }

  void set_deadline(tls_conn& c, clock::time_point at) {
    c.deadline = at;
    if (at != clock::time_point::max())
      timers.emplace(at, c.id);
  }

  void watch(tls_conn& c, uint32_t interest) {
    if (c.interest == interest)
      return;
    epoll_event ev{};
    ev.events = interest;
    ev.data.u64 = c.id;
    ::epoll_ctl(ep, c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
    c.interest = interest;
  }

  // -- accepting and dialing ------------------------------------------------

  void accept_some();
  void dial(command& cmd);
  void connected(tls_conn& c);

  // -- driving connections --------------------------------------------------

  void service(conn_id id) {
    auto i = conns.find(id);
    if (i == conns.end())
      return;
    auto& c = *i->second;
    if (c.ph == tls_conn::phase::connecting) {
      connected(c);
      return;
    }
    advance(c);
  }

  void advance(tls_conn& c);
  bool came_up(tls_conn& c);
  void finish(tls_conn& c, const std::string& reason, bool refuse);
  void close_now(tls_conn& c, const std::string& reason);

  void run_again() {
    auto ids = std::move(again);
    again.clear();
    for (auto id : ids)
      service(id);
  }

  void expire_timers();
  void expire(tls_conn& c);

  // -- commands -------------------------------------------------------------

  bool run_commands();
  void run_command(command& cmd);
  void revoke(std::vector<std::string> ids);
};

// -- accepting and dialing ----------------------------------------------------

void tls_wire::impl::accept_some() {
  for (int i = 0; i < accepts_per_round; ++i) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
          || errno == ENOMEM) {
        // The listener stays readable: rest instead of spinning on it.
        logger("wire")->warn("accept failed: {}", std::strerror(errno));
        ::epoll_ctl(ep, EPOLL_CTL_DEL, lfd, nullptr);
        listen_resume = clock::now() + listen_pause;
      }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return;
    }
    // Unauthenticated peers cost one connection each, and only so many.
    if (unauth.load() >= limits.max_unauthenticated) {
      ++refused;
      ::close(fd);
      continue;
    }
    no_delay(fd);
    auto id = next_id++;
    auto c = std::make_unique<tls_conn>(id, true);
    c->fd = fd;
    c->identity = current_identity();
    c->check.cluster_id = &c->identity->cluster_id;
    c->check.revoked = &revoked;
    c->check.refused = &refused;
    c->ssl = make_ssl(c->identity->ctx.get(), fd, true, &c->check);
    c->ph = tls_conn::phase::handshaking;
    c->counts_unauth = true;
    ++unauth;
    ++open;
    set_deadline(*c, c->started + ms(limits.handshake_timeout_ms));
    auto& ref = *c;
    conns.emplace(id, std::move(c));
    if (!ref.ssl) {
      finish(ref, "cannot create a TLS session", true);
      continue;
    }
    watch(ref, EPOLLIN);
  }
}

void tls_wire::impl::dial(command& cmd) {
  auto c = std::make_unique<tls_conn>(cmd.c, false);
  c->addr = cmd.data;
  c->pin = cmd.opts.pinned_root;
  c->check.refused = &refused;
  c->check.revoked = &revoked;
  if (!c->pin) {
    c->identity = current_identity();
    if (c->identity)
      c->check.cluster_id = &c->identity->cluster_id;
  }
  set_deadline(*c, c->started + ms(cmd.opts.timeout_ms));
  auto& ref = *c;
  conns.emplace(ref.id, std::move(c));
  ++open;
  if (!ref.pin && !ref.identity) {
    finish(ref, "this node has no certificate: dial with a pinned root", false);
    return;
  }
  auto to = parse_endpoint(cmd.data);
  if (!to) {
    finish(ref, to.error().message, false);
    return;
  }
  auto fd = connect_to(*to);
  if (!fd) {
    finish(ref, "cannot connect to " + cmd.data + ": " + fd.error().message,
           false);
    return;
  }
  ref.fd = *fd;
  watch(ref, EPOLLIN | EPOLLOUT);
}

void tls_wire::impl::connected(tls_conn& c) {
  if (auto err = connect_error(c.fd); err != 0) {
    finish(c, "cannot connect to " + c.addr + ": " + std::strerror(err), false);
    return;
  }
  auto* ctx = c.pin ? pinned_ctx.get() : c.identity->ctx.get();
  c.ssl = make_ssl(ctx, c.fd, false, c.pin ? nullptr : &c.check);
  if (!c.ssl) {
    finish(c, "cannot create a TLS session", false);
    return;
  }
  c.ph = tls_conn::phase::handshaking;
  advance(c);
}

// -- driving connections ------------------------------------------------------

void tls_wire::impl::advance(tls_conn& c) {
  auto r = drive(c, limits);
  if (r.up && !came_up(c))
    return;
  // After close() nothing more is delivered; on_down comes next.
  if (!c.closing)
    for (auto& f : r.frames)
      events.on_frame(c.id, std::move(f));
  if (r.error) {
    finish(c, *r.error, r.refused);
    return;
  }
  if (c.closing && c.out.empty() && c.ph == tls_conn::phase::up) {
    close_now(c, "closed by this node");
    return;
  }
  if (r.more)
    again.push_back(c.id);
  watch(c, EPOLLIN | (c.want_write ? EPOLLOUT : 0u));
}

bool tls_wire::impl::came_up(tls_conn& c) {
  // A revocation that came while the handshake ran.
  if (c.peer.authenticated && revoked.count(c.peer.node_id) > 0) {
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
    set_deadline(c, c.started + ms(limits.unauthenticated_lifetime_ms));
  } else {
    set_deadline(c, clock::time_point::max());
  }
  if (!c.root_pem.empty()) {
    std::lock_guard<std::mutex> guard{mu};
    roots[c.id] = c.root_pem;
  }
  events.on_up(c.id, c.peer);
  return true;
}

void tls_wire::impl::finish(tls_conn& c, const std::string& reason,
                            bool refuse) {
  bool was_up = c.ph == tls_conn::phase::up;
  // An inbound peer that never came up was refused, whatever the reason.
  if (refuse || (c.inbound && !was_up))
    count_refused(c.check);
  if (c.counts_unauth)
    --unauth;
  --open;
  if (c.interest != 0)
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
  if (!c.root_pem.empty()) {
    std::lock_guard<std::mutex> guard{mu};
    roots.erase(c.id);
  }
  if (!was_up && c.inbound)
    logger("wire")->debug("refused inbound connection: {}", reason);
  auto id = c.id;
  // Inbound connections that never came up were never reported.
  bool report = was_up || !c.inbound;
  conns.erase(id); // closes the socket, after the counters above
  if (report)
    events.on_down(id, reason);
}

void tls_wire::impl::close_now(tls_conn& c, const std::string& reason) {
  shutdown_quietly(c);
  finish(c, reason, false);
}

void tls_wire::impl::expire_timers() {
  auto now = clock::now();
  if (listen_resume <= now) {
    listen_resume = clock::time_point::max();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = listener_key;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  }
  // Each round pops one timer.
  while (!timers.empty() && timers.top().first <= now) {
    auto t = timers.top();
    timers.pop();
    if (live_timer(t))
      expire(*conns[t.second]);
  }
}

void tls_wire::impl::expire(tls_conn& c) {
  if (c.closing) {
    finish(c, "closed by this node before its queue was written", false);
  } else if (c.ph == tls_conn::phase::up) {
    close_now(c, "the joiner's time of "
                   + std::to_string(limits.unauthenticated_lifetime_ms)
                   + " ms is over");
  } else if (c.inbound) {
    finish(c,
           "TLS handshake not finished within "
             + std::to_string(limits.handshake_timeout_ms) + " ms",
           true);
  } else {
    finish(c, "cannot connect to " + c.addr + ": timed out", false);
  }
}

// -- commands -----------------------------------------------------------------

bool tls_wire::impl::run_commands() {
  std::vector<command> xs;
  {
    std::lock_guard<std::mutex> guard{mu};
    if (stop)
      return false;
    xs.swap(cmds);
    wake_pending = false;
  }
  std::unordered_set<conn_id> dirty;
  for (auto& cmd : xs) {
    if (cmd.k == command::kind::send) {
      auto i = conns.find(cmd.c);
      if (i == conns.end() || i->second->closing)
        continue;
      if (auto st = queue_frame(*i->second, std::move(cmd.data),
                                limits.max_queued_bytes);
          !st)
        finish(*i->second, st.error().message, false);
      else
        dirty.insert(cmd.c);
    } else {
      run_command(cmd);
      dirty.insert(cmd.c);
    }
  }
  // Frames queued by one batch go out in as few writes as possible.
  for (auto id : dirty) {
    auto i = conns.find(id);
    if (i != conns.end() && i->second->ph != tls_conn::phase::connecting
        && i->second->ph != tls_conn::phase::handshaking)
      advance(*i->second);
  }
  return true;
}

void tls_wire::impl::run_command(command& cmd) {
  switch (cmd.k) {
    case command::kind::dial:
      dial(cmd);
      break;
    case command::kind::close: {
      auto i = conns.find(cmd.c);
      if (i == conns.end() || i->second->closing)
        break;
      auto& c = *i->second;
      if (c.ph != tls_conn::phase::up) {
        finish(c, "closed by this node", false);
        break;
      }
      c.closing = true;
      set_deadline(c, clock::now() + ms(limits.handshake_timeout_ms));
      break;
    }
    case command::kind::revoke:
      revoke(std::move(cmd.ids));
      break;
    case command::kind::send:
      break;
  }
}

void tls_wire::impl::revoke(std::vector<std::string> ids) {
  revoked = std::unordered_set<std::string>(ids.begin(), ids.end());
  std::vector<conn_id> doomed;
  for (auto& [id, c] : conns)
    if (c->ph == tls_conn::phase::up && c->peer.authenticated
        && revoked.count(c->peer.node_id) > 0)
      doomed.push_back(id);
  for (auto id : doomed) {
    auto& c = *conns[id];
    close_now(c, "the certificate of node " + c.peer.node_id + " is revoked");
  }
}

// -- tls_wire -----------------------------------------------------------------

result<std::unique_ptr<tls_wire>>
tls_wire::start(wire_events& events, wire_limits limits,
                std::optional<wire_credentials> creds,
                const std::string& listen_host, uint16_t listen_port) {
  auto x = std::make_unique<impl>(events, limits);
  if (creds) {
    auto id = make_tls_identity(*creds);
    if (!id)
      return id.error();
    x->identity = std::move(*id);
  }
  x->pinned_ctx = make_pinned_ctx();
  x->ep = ::epoll_create1(EPOLL_CLOEXEC);
  x->wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!x->pinned_ctx || x->ep < 0 || x->wake < 0)
    return fail(errc::internal, "cannot start the cluster port's event loop");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = wakeup_key;
  ::epoll_ctl(x->ep, EPOLL_CTL_ADD, x->wake, &ev);
  if (!listen_host.empty()) {
    if (!x->identity)
      return fail(errc::invalid_spec,
                  "the cluster port needs this node's certificate to listen");
    auto at = endpoint_of(listen_host, listen_port);
    if (!at)
      return at.error();
    x->port = listen_port;
    auto fd = listen_on(listen_host, *at, x->port);
    if (!fd)
      return fd.error();
    x->lfd = *fd;
    ev.data.u64 = listener_key;
    ::epoll_ctl(x->ep, EPOLL_CTL_ADD, x->lfd, &ev);
  }
  auto* self = x.get();
  x->thread = std::thread{[self] { self->run(); }};
  return std::unique_ptr<tls_wire>{new tls_wire(std::move(x))};
}

tls_wire::tls_wire(std::unique_ptr<impl> x) : impl_(std::move(x)) {
  // nop
}

tls_wire::~tls_wire() {
  {
    std::lock_guard<std::mutex> guard{impl_->mu};
    impl_->stop = true;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake, &one, sizeof(one));
  }
  impl_->thread.join();
}

uint16_t tls_wire::port() const {
  return impl_->lfd >= 0 ? impl_->port : 0;
}

conn_id tls_wire::dial(const std::string& addr, dial_options opts) {
  auto id = impl_->next_id++;
  command cmd{command::kind::dial, id, addr, std::move(opts), {}};
  impl_->post(std::move(cmd));
  return id;
}

void tls_wire::send(conn_id c, std::string frame) {
  impl_->post(command{command::kind::send, c, std::move(frame), {}, {}});
}

void tls_wire::close(conn_id c) {
  impl_->post(command{command::kind::close, c, {}, {}, {}});
}

status tls_wire::reload(wire_credentials creds) {
  auto id = make_tls_identity(creds);
  if (!id)
    return id.error();
  std::lock_guard<std::mutex> guard{impl_->mu};
  impl_->identity = std::move(*id);
  return ok_status();
}

void tls_wire::set_revoked(std::vector<std::string> node_ids) {
  impl_->post(command{command::kind::revoke, 0, {}, {}, std::move(node_ids)});
}

std::string tls_wire::root_pem_of(conn_id c) const {
  std::lock_guard<std::mutex> guard{impl_->mu};
  auto i = impl_->roots.find(c);
  return i != impl_->roots.end() ? i->second : std::string{};
}

tls_wire::counters tls_wire::stats() const {
  return counters{impl_->open.load(), impl_->unauth.load(),
                  impl_->refused.load()};
}

} // namespace actorswarm::net
