#include "net/dns/server_impl.hpp"

namespace actorswarm::dns {

void server::impl::signal() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake, &one, sizeof one);
}

void server::impl::submit(command c) {
  std::unique_lock<std::mutex> g{mu};
  commands.push_back(std::move(c));
  auto mine = ++commands_queued;
  g.unlock();
  signal();
  g.lock();
  applied_cv.wait(g,
                  [&] { return commands_applied >= mine || stopping.load(); });
}

zone_slot* server::impl::slot_of(const std::string& network) {
  auto& s = slots[network];
  if (!s)
    s = std::make_unique<zone_slot>();
  return s.get();
}

void server::impl::set_view(listener& l, std::vector<std::string> networks) {
  for (auto s : l.view)
    --s->users;
  l.networks = std::move(networks);
  l.view.clear();
  for (auto& n : l.networks) {
    auto s = slot_of(n);
    ++s->users;
    l.view.push_back(s);
  }
  // the new slots need their zones
  seen_gen = ~uint64_t{0};
}

void server::impl::close_listener(listener& l) {
  for (auto it = conns.begin(); it != conns.end();) {
    if (it->second.listener == l.id) {
      ::close(it->second.fd);
      it = conns.erase(it);
    } else {
      ++it;
    }
  }
  for (auto s : l.view)
    --s->users;
  ::close(l.udp);
  ::close(l.tcp);
}

void server::impl::apply_commands() {
  std::deque<command> todo;
  {
    std::lock_guard<std::mutex> g{mu};
    todo.swap(commands);
  }
  if (todo.empty())
    return;
  for (auto& c : todo) {
    switch (c.op) {
      case command::add: {
        auto& l = listeners[c.id];
        l.id = c.id;
        l.udp = c.socks.udp();
        l.tcp = c.socks.tcp();
        c.socks.release();
        set_view(l, std::move(c.networks));
        epoll_event e{};
        e.events = EPOLLIN;
        if (l.udp >= 0) {
          e.data.u64 = tag(k_udp, l.id);
          ::epoll_ctl(ep, EPOLL_CTL_ADD, l.udp, &e);
        }
        if (l.tcp >= 0) {
          e.data.u64 = tag(k_tcp_listen, l.id);
          ::epoll_ctl(ep, EPOLL_CTL_ADD, l.tcp, &e);
        }
        break;
      }
      case command::set: {
        auto i = listeners.find(c.id);
        if (i != listeners.end())
          set_view(i->second, std::move(c.networks));
        break;
      }
      case command::remove: {
        auto i = listeners.find(c.id);
        if (i != listeners.end()) {
          close_listener(i->second);
          listeners.erase(i);
        }
        break;
      }
    }
  }
  {
    std::lock_guard<std::mutex> g{mu};
    commands_applied += todo.size();
  }
  applied_cv.notify_all();
}

// Picks up newly published zones; cheap when nothing changed.
void server::impl::refresh_zones() {
  auto gen = zone_gen.load(std::memory_order_acquire);
  if (gen == seen_gen)
    return;
  std::lock_guard<std::mutex> g{mu};
  seen_gen = zone_gen.load(std::memory_order_acquire);
  for (auto it = slots.begin(); it != slots.end();) {
    auto p = published.find(it->first);
    it->second->z = p == published.end() ? nullptr : p->second;
    if (!it->second->z && it->second->users == 0)
      it = slots.erase(it);
    else
      ++it;
  }
}

void server::impl::expire(clock_type::time_point now) {
  for (size_t i = 0; i < 4096 && !timeouts.empty(); ++i) {
    auto t = timeouts.front();
    if (t.at > now)
      break;
    timeouts.pop_front();
    auto& f = forwards[t.slot];
    if (!f.used || f.seq != t.seq)
      continue;
    by_upstream_id[f.upstream_id] = -1;
    ++f.attempt;
    if (!send_upstream(t.slot)) {
      servfail(f);
      release_forward(t.slot);
    }
  }
  if (now >= next_sweep) {
    next_sweep = now + std::chrono::milliseconds(100);
    std::vector<uint64_t> idle;
    for (auto& [id, c] : conns)
      if (now - c.last_query > cfg.tcp_idle_timeout)
        idle.push_back(id);
    for (auto id : idle)
      close_conn(id);
  }
}

// Sleeps until the next timeout, or for good while nothing is pending
// (an idle server never wakes up).
int server::impl::wait_ms(clock_type::time_point now) const {
  if (conns.empty() && timeouts.empty())
    return -1;
  auto until = conns.empty() ? clock_type::time_point::max() : next_sweep;
  if (!timeouts.empty())
    until = std::min(until, timeouts.front().at);
  if (until <= now)
    return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now)
              .count();
  return static_cast<int>(std::min<long long>(ms + 1, 1000));
}

void server::impl::run() {
  std::array<epoll_event, 64> events{};
  while (!stopping.load()) {
    auto now = clock_type::now();
    int n = ::epoll_wait(ep, events.data(), events.size(), wait_ms(now));
    for (int i = 0; i < n; ++i) {
      auto t = events[i].data.u64;
      auto k = static_cast<kind>(t >> 56);
      auto id = t & ((uint64_t{1} << 56) - 1);
      switch (k) {
        case k_wake: {
          uint64_t x;
          [[maybe_unused]] auto r = ::read(wake, &x, sizeof x);
          apply_commands();
          refresh_zones();
          break;
        }
        case k_udp:
          on_udp(id);
          break;
        case k_tcp_listen:
          on_accept(id);
          break;
        case k_tcp_conn:
          on_conn(id, events[i].events);
          break;
        case k_upstream4:
          on_upstream(up4);
          break;
        case k_upstream6:
          on_upstream(up6);
          break;
      }
    }
    expire(clock_type::now());
  }
  std::lock_guard<std::mutex> g{mu};
  commands_applied = commands_queued;
  applied_cv.notify_all();
}

result<std::unique_ptr<server>> server::start(server_config cfg) {
  auto x = std::make_unique<impl>();
  x->cfg = std::move(cfg);
  for (auto& d : x->cfg.search_domains) {
    auto n = normalize_name(d);
    if (!n.empty())
      x->search.push_back(std::move(n));
  }
  auto err = [](const char* what) {
    return fail(errc::internal, std::string("dns server: ") + what + ": "
                                  + std::strerror(errno));
  };
  x->ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (x->ep < 0)
    return err("epoll_create1");
  x->wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (x->wake < 0)
    return err("eventfd");
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = tag(k_wake, 0);
  ::epoll_ctl(x->ep, EPOLL_CTL_ADD, x->wake, &e);
  for (auto& up : x->cfg.upstreams) {
    int& fd = up.family() == AF_INET ? x->up4 : x->up6;
    if (fd >= 0)
      continue;
    fd = ::socket(up.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return err("upstream socket");
    e.data.u64 = tag(up.family() == AF_INET ? k_upstream4 : k_upstream6, 0);
    ::epoll_ctl(x->ep, EPOLL_CTL_ADD, fd, &e);
  }
  auto cap = std::max<size_t>(1, x->cfg.max_outstanding);
  x->forwards.resize(cap);
  for (size_t i = cap; i > 0; --i)
    x->free_forwards.push_back(static_cast<uint32_t>(i - 1));
  x->by_upstream_id.assign(65536, -1);
  x->next_sweep = clock_type::now();
  auto raw = x.get();
  x->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<server>(new server(std::move(x)));
}

server::server(std::unique_ptr<impl> x) : impl_(std::move(x)) {
}

server::~server() {
  impl_->stopping = true;
  impl_->signal();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

uint64_t server::add_listener(dns_sockets socks,
                              std::vector<std::string> networks) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> g{impl_->mu};
    id = impl_->next_listener++;
  }
  impl_->submit({command::add, id, std::move(socks), std::move(networks)});
  return id;
}

void server::set_networks(uint64_t listener,
                          std::vector<std::string> networks) {
  impl_->submit({command::set, listener, {}, std::move(networks)});
}

void server::remove_listener(uint64_t listener) {
  impl_->submit({command::remove, listener, {}, {}});
}

void server::publish(std::shared_ptr<const zone> z) {
  if (!z)
    return;
  {
    std::lock_guard<std::mutex> g{impl_->mu};
    auto& cur = impl_->published[z->network_id()];
    if (cur && cur->version() > z->version())
      return;
    cur = std::move(z);
    impl_->zone_gen.fetch_add(1, std::memory_order_release);
  }
  impl_->signal();
}

void server::withdraw(const std::string& network_id) {
  {
    std::lock_guard<std::mutex> g{impl_->mu};
    if (impl_->published.erase(network_id) == 0)
      return;
    impl_->zone_gen.fetch_add(1, std::memory_order_release);
  }
  impl_->signal();
}

server_stats server::stats() const {
  auto& x = *impl_;
  auto r = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  server_stats s;
  s.queries = r(x.n_queries);
  s.local_answers = r(x.n_local);
  s.forwarded = r(x.n_forwarded);
  s.upstream_answers = r(x.n_upstream);
  s.servfail = r(x.n_servfail);
  s.rejected = r(x.n_rejected);
  s.dropped = r(x.n_dropped);
  s.stray_answers = r(x.n_stray);
  s.tcp_refused = r(x.n_tcp_refused);
  return s;
}

} // namespace actorswarm::dns
