#include "net/dns/server_impl.hpp"

namespace actorswarm::dns {

// TCP clients: 2-byte length framing, bounded connections and buffers.

void server::impl::close_conn(uint64_t id) {
  auto c = conns.find(id);
  if (c == conns.end())
    return;
  ::close(c->second.fd);
  conns.erase(c);
}

void server::impl::on_accept(uint64_t id) {
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
bool server::impl::tcp_send(tcp_conn& c, const uint8_t* data, size_t len) {
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
bool server::impl::tcp_flush(tcp_conn& c) {
  while (c.out_sent < c.out.size()) {
    auto n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                    MSG_DONTWAIT | MSG_NOSIGNAL);
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

void server::impl::on_conn(uint64_t id, uint32_t events) {
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
      auto alen = handle(c.in.data() + pos + 2, len, li->second, nullptr, 0, id,
                         scratch.data(), max_message);
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

} // namespace actorswarm::dns
