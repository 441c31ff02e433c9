#include "net/dns/server.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "messages/log.hpp"
#include "net/dns/wire.hpp"

namespace actorswarm::dns {

namespace {

using clock_type = std::chrono::steady_clock;

// epoll tags: the kind in the top byte, an id below.
enum kind : uint64_t {
  k_wake = 1,
  k_udp = 2,
  k_tcp_listen = 3,
  k_tcp_conn = 4,
  k_upstream4 = 5,
  k_upstream6 = 6,
};

uint64_t tag(kind k, uint64_t id) {
  return (static_cast<uint64_t>(k) << 56) | id;
}

constexpr size_t batch = 32;            // UDP packets per recvmmsg
constexpr size_t batches_per_event = 8; // then other fds get their turn
constexpr size_t max_addrs = 1024;      // A records in one answer, at most
constexpr size_t recv_size = 4096;      // a UDP query larger than this is cut
constexpr size_t max_tcp_pending = 64;  // forwarded queries per connection

struct zone_slot {
  std::shared_ptr<const zone> z;
  size_t users = 0;
};

struct listener {
  uint64_t id = 0;
  int udp = -1;
  int tcp = -1;
  std::vector<std::string> networks;
  std::vector<zone_slot*> view;
};

struct tcp_conn {
  uint64_t id = 0;
  uint64_t listener = 0;
  int fd = -1;
  std::vector<uint8_t> in;
  std::vector<uint8_t> out;
  size_t out_sent = 0;
  clock_type::time_point last_query;
  size_t pending = 0; // forwarded queries not yet answered
  bool want_write = false;
};

// Where a forwarded query's answer goes.
struct forward {
  bool used = false;
  uint32_t seq = 0; // changes with every attempt: stale timeouts miss
  uint16_t upstream_id = 0;
  uint16_t client_id = 0;
  size_t attempt = 0;
  uint64_t listener = 0;
  uint64_t conn = 0; // 0: the client is UDP, at `client`
  sockaddr_storage client{};
  socklen_t client_len = 0;
  question_key question;
  std::vector<uint8_t> wire; // the query as sent (for the next upstream)
};

struct timeout_entry {
  clock_type::time_point at;
  uint32_t slot;
  uint32_t seq;
};

struct command {
  enum { add, set, remove } op;
  uint64_t id;
  dns_sockets socks;
  std::vector<std::string> networks;
};

} // namespace

struct server::impl {
  server_config cfg;
  std::vector<std::string> search; // cfg.search_domains, normalized
  int ep = -1;
  int wake = -1;
  int up4 = -1;
  int up6 = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};

  // -- shared with callers (mu) -------------------------------------------
  std::mutex mu;
  std::condition_variable applied_cv;
  std::deque<command> commands;
  uint64_t commands_queued = 0;
  uint64_t commands_applied = 0;
  uint64_t next_listener = 1;
  std::unordered_map<std::string, std::shared_ptr<const zone>> published;
  std::atomic<uint64_t> zone_gen{0};

  // -- the server thread's own ----------------------------------------------
  uint64_t seen_gen = 0;
  std::unordered_map<std::string, std::unique_ptr<zone_slot>> slots;
  std::unordered_map<uint64_t, listener> listeners;
  std::unordered_map<uint64_t, tcp_conn> conns;
  uint64_t next_conn = 1;
  std::vector<forward> forwards;
  std::vector<uint32_t> free_forwards;
  std::vector<int32_t> by_upstream_id; // 65536 entries: slot or -1
  std::deque<timeout_entry> timeouts;
  std::array<uint16_t, 256> random_ids{};
  size_t random_left = 0;
  clock_type::time_point next_sweep;

  // counters
  std::atomic<uint64_t> n_queries{0}, n_local{0}, n_forwarded{0}, n_upstream{0},
    n_servfail{0}, n_rejected{0}, n_dropped{0}, n_stray{0}, n_tcp_refused{0};

  // UDP batch buffers
  std::array<std::array<uint8_t, recv_size>, batch> rbuf{};
  std::array<std::array<uint8_t, udp_edns_max>, batch> sbuf{};
  std::array<sockaddr_storage, batch> peers{};
  std::array<mmsghdr, batch> rmsg{};
  std::array<iovec, batch> riov{};
  std::array<mmsghdr, batch> smsg{};
  std::array<iovec, batch> siov{};
  std::vector<uint8_t> scratch = std::vector<uint8_t>(2 + max_message);
  std::array<uint32_t, max_addrs> addrs{};

  ~impl() {
    for (auto& [id, c] : conns)
      ::close(c.fd);
    for (auto& [id, l] : listeners) {
      ::close(l.udp);
      ::close(l.tcp);
    }
    for (int fd : {ep, wake, up4, up6})
      if (fd >= 0)
        ::close(fd);
  }

  // -- control ----------------------------------------------------------

  void signal() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake, &one, sizeof one);
  }

  void submit(command c) {
    std::unique_lock<std::mutex> g{mu};
    commands.push_back(std::move(c));
    auto mine = ++commands_queued;
    g.unlock();
    signal();
    g.lock();
    applied_cv.wait(g, [&] {
      return commands_applied >= mine || stopping.load();
    });
  }

  zone_slot* slot_of(const std::string& network) {
    auto& s = slots[network];
    if (!s)
      s = std::make_unique<zone_slot>();
    return s.get();
  }

  void set_view(listener& l, std::vector<std::string> networks) {
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

  void close_listener(listener& l) {
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

  void apply_commands() {
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
  void refresh_zones() {
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

  // -- queries ------------------------------------------------------------

  uint16_t random_id() {
    if (random_left == 0) {
      auto n = ::getrandom(random_ids.data(), sizeof random_ids, 0);
      if (n != static_cast<ssize_t>(sizeof random_ids)) {
        // getrandom does not fail for so few bytes once the pool is ready;
        // mix in the clock rather than stall.
        auto t = clock_type::now().time_since_epoch().count();
        for (auto& x : random_ids)
          x = static_cast<uint16_t>(x ^ (t >>= 1) ^ 0x9e37);
      }
      random_left = random_ids.size();
    }
    return random_ids[--random_left];
  }

  int upstream_fd(const endpoint& e) {
    return e.family() == AF_INET ? up4 : up6;
  }

  // Sends forward `slot` to upstream number f.attempt with a fresh id.
  // False when no upstream is left or the send failed on all the rest.
  bool send_upstream(uint32_t slot) {
    auto& f = forwards[slot];
    while (f.attempt < cfg.upstreams.size()) {
      auto& up = cfg.upstreams[f.attempt];
      uint16_t id = 0;
      bool found = false;
      for (int tries = 0; tries < 32 && !found; ++tries) {
        id = random_id();
        found = by_upstream_id[id] < 0;
      }
      int fd = upstream_fd(up);
      if (found && fd >= 0) {
        set_wire_id(f.wire.data(), id);
        auto n = ::sendto(fd, f.wire.data(), f.wire.size(), MSG_DONTWAIT,
                          reinterpret_cast<const sockaddr*>(&up.addr), up.len);
        if (n == static_cast<ssize_t>(f.wire.size())) {
          f.upstream_id = id;
          by_upstream_id[id] = static_cast<int32_t>(slot);
          ++f.seq;
          timeouts.push_back({clock_type::now() + cfg.upstream_timeout, slot,
                              f.seq});
          return true;
        }
      }
      ++f.attempt;
    }
    return false;
  }

  void release_forward(uint32_t slot) {
    auto& f = forwards[slot];
    if (by_upstream_id[f.upstream_id] == static_cast<int32_t>(slot))
      by_upstream_id[f.upstream_id] = -1;
    if (f.conn != 0) {
      auto c = conns.find(f.conn);
      if (c != conns.end() && c->second.pending > 0)
        --c->second.pending;
    }
    f.used = false;
    f.wire.clear();
    free_forwards.push_back(slot);
  }

  // Starts forwarding a query; false when it cannot (answer SERVFAIL).
  bool start_forward(const uint8_t* wire, size_t len, const query& q,
                     const listener& l, const sockaddr_storage* peer,
                     socklen_t peer_len, uint64_t conn) {
    if (cfg.upstreams.empty() || free_forwards.empty())
      return false;
    auto slot = free_forwards.back();
    free_forwards.pop_back();
    auto& f = forwards[slot];
    f.used = true;
    f.attempt = 0;
    f.client_id = q.id;
    f.listener = l.id;
    f.conn = conn;
    if (peer != nullptr) {
      f.client = *peer;
      f.client_len = peer_len;
    }
    question_of(wire, q, f.question);
    f.wire.assign(wire, wire + len);
    f.upstream_id = 0;
    if (!send_upstream(slot)) {
      f.conn = 0; // pending was not counted yet
      release_forward(slot);
      return false;
    }
    if (conn != 0)
      ++conns[conn].pending;
    n_forwarded.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Answers one query from a client of `l` into `out` (capacity `cap`,
  // UDP answers limited to the query's size). Returns the answer's size; 0
  // when there is none now (dropped, or forwarded: it comes later).
  size_t handle(const uint8_t* wire, size_t len, const listener& l,
                const sockaddr_storage* peer, socklen_t peer_len, uint64_t conn,
                uint8_t* out, size_t cap) {
    n_queries.fetch_add(1, std::memory_order_relaxed);
    query q;
    auto v = parse_query(wire, len, q);
    if (conn == 0)
      cap = std::min(cap, udp_answer_limit(q));
    switch (v) {
      case verdict::drop:
        n_dropped.fetch_add(1, std::memory_order_relaxed);
        return 0;
      case verdict::formerr:
      case verdict::notimp:
      case verdict::refused: {
        n_rejected.fetch_add(1, std::memory_order_relaxed);
        auto rc = v == verdict::formerr  ? rcode::formerr
                  : v == verdict::notimp ? rcode::notimp
                                         : rcode::refused;
        return write_response(wire, q, rc, nullptr, 0, 0, out, cap);
      }
      case verdict::answer:
        break;
    }
    if (q.plain_name && q.name_len > 0) {
      std::array<const zone*, 16> small{};
      std::vector<const zone*> big;
      const zone* const* zs = small.data();
      if (l.view.size() <= small.size()) {
        for (size_t i = 0; i < l.view.size(); ++i)
          small[i] = l.view[i]->z.get();
      } else {
        for (auto s : l.view)
          big.push_back(s->z.get());
        zs = big.data();
      }
      auto e = lookup(zs, l.view.size(), q.lower_name());
      for (size_t i = 0; e == nullptr && i < search.size(); ++i) {
        auto name = q.lower_name();
        auto& d = search[i];
        if (name.size() > d.size() + 1
            && name.compare(name.size() - d.size(), d.size(), d) == 0
            && name[name.size() - d.size() - 1] == '.')
          e = lookup(zs, l.view.size(),
                     name.substr(0, name.size() - d.size() - 1));
      }
      if (e != nullptr) {
        n_local.fetch_add(1, std::memory_order_relaxed);
        // Our names have A records only: other types (AAAA, MX, ...) get
        // an empty NOERROR, as Docker answers AAAA for IPv4-only names.
        size_t n = q.qtype == type_a
                     ? answer_addresses(*e, addrs.data(), addrs.size())
                     : 0;
        return write_response(wire, q, rcode::noerror, addrs.data(), n,
                              answer_ttl, out, cap);
      }
    }
    if (conn != 0 && conns[conn].pending >= max_tcp_pending) {
      n_servfail.fetch_add(1, std::memory_order_relaxed);
      return write_response(wire, q, rcode::servfail, nullptr, 0, 0, out, cap);
    }
    if (start_forward(wire, len, q, l, peer, peer_len, conn))
      return 0;
    n_servfail.fetch_add(1, std::memory_order_relaxed);
    return write_response(wire, q, rcode::servfail, nullptr, 0, 0, out, cap);
  }

  // -- UDP ------------------------------------------------------------------

  void on_udp(uint64_t id) {
    auto li = listeners.find(id);
    if (li == listeners.end())
      return;
    auto& l = li->second;
    for (size_t round = 0; round < batches_per_event; ++round) {
      for (size_t i = 0; i < batch; ++i) {
        riov[i] = {rbuf[i].data(), rbuf[i].size()};
        rmsg[i].msg_hdr = {};
        rmsg[i].msg_hdr.msg_iov = &riov[i];
        rmsg[i].msg_hdr.msg_iovlen = 1;
        rmsg[i].msg_hdr.msg_name = &peers[i];
        rmsg[i].msg_hdr.msg_namelen = sizeof peers[i];
      }
      int n = ::recvmmsg(l.udp, rmsg.data(), batch, MSG_DONTWAIT, nullptr);
      if (n <= 0)
        return;
      refresh_zones();
      unsigned out = 0;
      for (int i = 0; i < n; ++i) {
        auto& m = rmsg[i];
        if (m.msg_hdr.msg_flags & MSG_TRUNC) {
          // larger than any query needs: not answered
          n_queries.fetch_add(1, std::memory_order_relaxed);
          n_dropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        auto len = handle(rbuf[i].data(), m.msg_len, l, &peers[i],
                          m.msg_hdr.msg_namelen, 0, sbuf[out].data(),
                          sbuf[out].size());
        if (len == 0)
          continue;
        siov[out] = {sbuf[out].data(), len};
        smsg[out].msg_hdr = {};
        smsg[out].msg_hdr.msg_iov = &siov[out];
        smsg[out].msg_hdr.msg_iovlen = 1;
        smsg[out].msg_hdr.msg_name = &peers[i];
        smsg[out].msg_hdr.msg_namelen = m.msg_hdr.msg_namelen;
        ++out;
      }
      // A full socket buffer drops answers, as UDP may.
      for (unsigned sent = 0; sent < out;) {
        int k = ::sendmmsg(l.udp, smsg.data() + sent, out - sent, MSG_DONTWAIT);
        if (k <= 0)
          break;
        sent += static_cast<unsigned>(k);
      }
      if (static_cast<size_t>(n) < batch)
        return;
    }
  }

  // -- TCP ------------------------------------------------------------------

  void close_conn(uint64_t id) {
    auto c = conns.find(id);
    if (c == conns.end())
      return;
    ::close(c->second.fd);
    conns.erase(c);
  }

  void on_accept(uint64_t id) {
    auto li = listeners.find(id);
    if (li == listeners.end())
      return;
    for (int i = 0; i < 64; ++i) {
      int fd = ::accept4(li->second.tcp, nullptr, nullptr,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return;
      if (conns.size() >= cfg.max_tcp_connections) {
        n_tcp_refused.fetch_add(1, std::memory_order_relaxed);
        ::close(fd);
        continue;
      }
      auto cid = next_conn++;
      auto& c = conns[cid];
      c.id = cid;
      c.listener = id;
      c.fd = fd;
      c.last_query = clock_type::now();
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.u64 = tag(k_tcp_conn, cid);
      ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
  }

  // Queues a length-prefixed answer; false when the connection is closed.
  bool tcp_send(tcp_conn& c, const uint8_t* data, size_t len) {
    if (c.out.size() - c.out_sent + len + 2 > cfg.tcp_max_buffered) {
      close_conn(c.id);
      return false;
    }
    c.out.push_back(static_cast<uint8_t>(len >> 8));
    c.out.push_back(static_cast<uint8_t>(len));
    c.out.insert(c.out.end(), data, data + len);
    return true;
  }

  // Writes what is queued; false when the connection was closed.
  bool tcp_flush(tcp_conn& c) {
    while (c.out_sent < c.out.size()) {
      auto n = ::send(c.fd, c.out.data() + c.out_sent,
                      c.out.size() - c.out_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          break;
        close_conn(c.id);
        return false;
      }
      c.out_sent += static_cast<size_t>(n);
    }
    if (c.out_sent == c.out.size()) {
      c.out.clear();
      c.out_sent = 0;
    }
    bool want = !c.out.empty();
    if (want != c.want_write) {
      c.want_write = want;
      epoll_event e{};
      e.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
      e.data.u64 = tag(k_tcp_conn, c.id);
      ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &e);
    }
    return true;
  }

  void on_conn(uint64_t id, uint32_t events) {
    auto ci = conns.find(id);
    if (ci == conns.end())
      return;
    auto& c = ci->second;
    if (events & EPOLLOUT) {
      if (!tcp_flush(c))
        return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
      return;
    auto li = listeners.find(c.listener);
    if (li == listeners.end()) {
      close_conn(id);
      return;
    }
    refresh_zones();
    uint8_t buf[16384];
    for (int round = 0; round < 16; ++round) {
      auto n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        close_conn(id);
        return;
      }
      if (n < 0)
        break;
      c.in.insert(c.in.end(), buf, buf + n);
      size_t pos = 0;
      while (c.in.size() - pos >= 2) {
        size_t len = (size_t{c.in[pos]} << 8) | c.in[pos + 1];
        if (len < 12) {
          // no DNS message is this short: the stream is not DNS
          n_queries.fetch_add(1, std::memory_order_relaxed);
          n_dropped.fetch_add(1, std::memory_order_relaxed);
          close_conn(id);
          return;
        }
        if (c.in.size() - pos < 2 + len)
          break;
        c.last_query = clock_type::now();
        auto alen = handle(c.in.data() + pos + 2, len, li->second, nullptr, 0,
                           id, scratch.data(), max_message);
        pos += 2 + len;
        if (alen > 0 && !tcp_send(c, scratch.data(), alen))
          return;
      }
      c.in.erase(c.in.begin(), c.in.begin() + static_cast<long>(pos));
      if (static_cast<size_t>(n) < sizeof buf)
        break;
    }
    tcp_flush(c);
  }

  // -- upstream answers -------------------------------------------------------

  void deliver(forward& f, uint8_t* wire, size_t len) {
    set_wire_id(wire, f.client_id);
    if (f.conn != 0) {
      auto c = conns.find(f.conn);
      if (c != conns.end() && tcp_send(c->second, wire, len))
        tcp_flush(c->second);
      return;
    }
    auto l = listeners.find(f.listener);
    if (l == listeners.end())
      return;
    ::sendto(l->second.udp, wire, len, MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&f.client), f.client_len);
  }

  void on_upstream(int fd) {
    for (int round = 0; round < 64; ++round) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      auto n = ::recvfrom(fd, scratch.data(), max_message, MSG_DONTWAIT,
                          reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0)
        return;
      uint16_t id = 0;
      question_key k;
      if (!parse_answer(scratch.data(), static_cast<size_t>(n), id, k)) {
        n_stray.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      auto slot = by_upstream_id[id];
      if (slot < 0) {
        n_stray.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      auto& f = forwards[static_cast<uint32_t>(slot)];
      endpoint src;
      std::memcpy(&src.addr, &from, sizeof from);
      src.len = from_len;
      if (!(src == cfg.upstreams[f.attempt]) || !(k == f.question)) {
        n_stray.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      n_upstream.fetch_add(1, std::memory_order_relaxed);
      deliver(f, scratch.data(), static_cast<size_t>(n));
      release_forward(static_cast<uint32_t>(slot));
    }
  }

  void servfail(forward& f) {
    n_servfail.fetch_add(1, std::memory_order_relaxed);
    query q;
    parse_query(f.wire.data(), f.wire.size(), q);
    q.id = f.client_id;
    uint8_t out[udp_edns_max];
    auto len = write_response(f.wire.data(), q, rcode::servfail, nullptr, 0, 0,
                              out, sizeof out);
    deliver(f, out, len);
  }

  // -- timers ---------------------------------------------------------------

  void expire(clock_type::time_point now) {
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
  int wait_ms(clock_type::time_point now) const {
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

  void run() {
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
};

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
