#include "net/dns/server_impl.hpp"

namespace actorswarm::dns {

// Answers from the zones, UDP clients and forwarding to the upstreams.

uint16_t server::impl::random_id() {
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

int server::impl::upstream_fd(const endpoint& e) {
  return e.family() == AF_INET ? up4 : up6;
}

// Sends forward `slot` to upstream number f.attempt with a fresh id.
// False when no upstream is left or the send failed on all the rest.
bool server::impl::send_upstream(uint32_t slot) {
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

void server::impl::release_forward(uint32_t slot) {
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
bool server::impl::start_forward(const uint8_t* wire, size_t len,
                                 const query& q, const listener& l,
                                 const sockaddr_storage* peer,
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
size_t server::impl::handle(const uint8_t* wire, size_t len, const listener& l,
                            const sockaddr_storage* peer, socklen_t peer_len,
                            uint64_t conn, uint8_t* out, size_t cap) {
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

void server::impl::on_udp(uint64_t id) {
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

void server::impl::deliver(forward& f, uint8_t* wire, size_t len) {
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

void server::impl::on_upstream(int fd) {
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

void server::impl::servfail(forward& f) {
  n_servfail.fetch_add(1, std::memory_order_relaxed);
  query q;
  parse_query(f.wire.data(), f.wire.size(), q);
  q.id = f.client_id;
  uint8_t out[udp_edns_max];
  auto len = write_response(f.wire.data(), q, rcode::servfail, nullptr, 0, 0,
                            out, sizeof out);
  deliver(f, out, len);
}

} // namespace actorswarm::dns
