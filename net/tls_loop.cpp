#include "net/tls_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "messages/log.hpp"
#include "net/tls_socket.hpp"

namespace actorswarm::net {

namespace {

// Epoll keys besides connection ids (which start at 1 and never wrap).
constexpr uint64_t listener_key = 0;
constexpr uint64_t wakeup_key = UINT64_MAX;

// Events taken from one epoll_wait.
constexpr int events_per_wait = 64;

void add_input(int ep, int fd, uint64_t key) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

} // namespace

tls_loop::tls_loop(wire_events& events, wire_limits limits)
  : events_(events), limits_(limits) {
  // nop
}

tls_loop::~tls_loop() {
  conns_.clear();
  for (int fd : {lfd.load(), ep_, wake_})
    if (fd >= 0)
      ::close(fd);
}

status tls_loop::open(const std::string& listen_host, uint16_t listen_port) {
  pinned_ctx_ = make_pinned_ctx();
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!pinned_ctx_ || ep_ < 0 || wake_ < 0)
    return fail(errc::internal, "cannot start the cluster port's event loop");
  add_input(ep_, wake_, wakeup_key);
  if (listen_host.empty())
    return ok_status();
  return listen(listen_host, listen_port);
}

status tls_loop::listen(const std::string& host, uint16_t listen_port) {
  std::lock_guard<std::mutex> guard{mu};
  if (!identity)
    return fail(errc::invalid_spec,
                "the cluster port needs this node's certificate to listen");
  if (lfd.load() >= 0)
    return fail(errc::invalid_spec, "the cluster port is already listening");
  auto at = endpoint_of(host, listen_port);
  if (!at)
    return at.error();
  uint16_t got = listen_port;
  auto fd = listen_on(host, *at, got);
  if (!fd)
    return fd.error();
  port = got;
  lfd = *fd;
  add_input(ep_, *fd, listener_key);
  return ok_status();
}

void tls_loop::start() {
  thread_ = std::thread{[this] { run(); }};
}

void tls_loop::stop() {
  {
    std::lock_guard<std::mutex> guard{mu};
    stop_ = true;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof(one));
  }
  if (thread_.joinable())
    thread_.join();
}

void tls_loop::post(wire_command cmd) {
  std::lock_guard<std::mutex> guard{mu};
  cmds_.push_back(std::move(cmd));
  if (!wake_pending_) {
    wake_pending_ = true;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof(one));
  }
}

std::shared_ptr<const tls_identity> tls_loop::current_identity() {
  std::lock_guard<std::mutex> guard{mu};
  return identity;
}

// -- the loop -----------------------------------------------------------------

void tls_loop::run() {
  epoll_event evs[events_per_wait];
  // Runs until stop(): one round per epoll_wait.
  for (;;) {
    int n = ::epoll_wait(ep_, evs, events_per_wait, next_timeout_ms());
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

void tls_loop::dispatch(uint64_t key) {
  if (key == wakeup_key) {
    uint64_t x = 0;
    [[maybe_unused]] auto n = ::read(wake_, &x, sizeof(x));
  } else if (key == listener_key) {
    accept_some();
  } else {
    service(key);
  }
}

int tls_loop::next_timeout_ms() {
  if (!again_.empty())
    return 0;
  while (!timers_.empty() && !live_timer(timers_.top()))
    timers_.pop();
  auto next = listen_resume_;
  if (!timers_.empty())
    next = std::min(next, timers_.top().first);
  if (next == clock::time_point::max())
    return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(next - clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
}

bool tls_loop::live_timer(const timer& t) {
  auto i = conns_.find(t.second);
  return i != conns_.end() && i->second->deadline == t.first;
}

void tls_loop::set_deadline(tls_conn& c, clock::time_point at) {
  // Earlier entries of c stay in the heap and are skipped as stale.
  c.deadline = at;
  if (at != clock::time_point::max())
    timers_.emplace(at, c.id);
}

void tls_loop::watch(tls_conn& c, uint32_t interest) {
  if (c.interest == interest)
    return;
  epoll_event ev{};
  ev.events = interest;
  ev.data.u64 = c.id;
  ::epoll_ctl(ep_, c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = interest;
}

void tls_loop::run_again() {
  auto ids = std::move(again_);
  again_.clear();
  for (auto id : ids)
    service(id);
}

void tls_loop::expire_timers() {
  auto now = clock::now();
  if (listen_resume_ <= now) {
    listen_resume_ = clock::time_point::max();
    add_input(ep_, lfd, listener_key);
  }
  // Each round pops one timer.
  while (!timers_.empty() && timers_.top().first <= now) {
    auto t = timers_.top();
    timers_.pop();
    if (live_timer(t))
      expire(*conns_[t.second]);
  }
}

// -- commands -----------------------------------------------------------------

bool tls_loop::run_commands() {
  std::vector<wire_command> xs;
  {
    std::lock_guard<std::mutex> guard{mu};
    if (stop_)
      return false;
    xs.swap(cmds_);
    wake_pending_ = false;
  }
  std::unordered_set<conn_id> dirty;
  for (auto& cmd : xs) {
    run_command(cmd);
    dirty.insert(cmd.c);
  }
  // Frames queued by one batch go out in as few writes as possible.
  for (auto id : dirty) {
    auto i = conns_.find(id);
    if (i == conns_.end())
      continue;
    auto ph = i->second->ph;
    if (ph == tls_conn::phase::hello || ph == tls_conn::phase::up)
      advance(*i->second);
  }
  return true;
}

void tls_loop::run_command(wire_command& cmd) {
  switch (cmd.k) {
    case wire_command::kind::dial:
      dial(cmd);
      break;
    case wire_command::kind::send: {
      auto i = conns_.find(cmd.c);
      if (i == conns_.end() || i->second->closing)
        break;
      auto st = queue_frame(*i->second, std::move(cmd.data),
                            limits_.max_queued_bytes);
      if (!st)
        finish(*i->second, st.error().message, false);
      break;
    }
    case wire_command::kind::close:
      close_on_request(cmd.c);
      break;
    case wire_command::kind::revoke:
      revoke(std::move(cmd.ids));
      break;
  }
}

void tls_loop::close_on_request(conn_id id) {
  auto i = conns_.find(id);
  if (i == conns_.end() || i->second->closing)
    return;
  auto& c = *i->second;
  if (c.ph != tls_conn::phase::up) {
    finish(c, "closed by this node", false);
    return;
  }
  // Written out by advance(); bounded like a handshake.
  c.closing = true;
  set_deadline(c, clock::now()
                    + std::chrono::milliseconds(limits_.handshake_timeout_ms));
}

void tls_loop::revoke(std::vector<std::string> ids) {
  revoked_ = std::unordered_set<std::string>(ids.begin(), ids.end());
  std::vector<conn_id> doomed;
  for (auto& [id, c] : conns_)
    if (c->ph == tls_conn::phase::up && c->peer.authenticated
        && revoked_.count(c->peer.node_id) > 0)
      doomed.push_back(id);
  for (auto id : doomed) {
    auto& c = *conns_[id];
    close_now(c, "the certificate of node " + c.peer.node_id + " is revoked");
  }
}

} // namespace actorswarm::net
