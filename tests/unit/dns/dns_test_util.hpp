#pragma once

// Helpers of the DNS tests: queries built byte by byte (so malformed ones
// can be made too), a UDP/TCP client with a bounded wait, and a reader of
// answers (through libknot, as a resolver would).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// libknot's headers declare no C linkage of their own.
extern "C" {
#include <libknot/libknot.h>
}

namespace dns_test {

using bytes = std::vector<uint8_t>;

inline void put16(bytes& b, uint16_t x) {
  b.push_back(static_cast<uint8_t>(x >> 8));
  b.push_back(static_cast<uint8_t>(x));
}

/// A name in wire form ("a.b" -> 1a1b0).
inline bytes wire_name(const std::string& name) {
  bytes out;
  size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos)
      dot = name.size();
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), name.begin() + static_cast<long>(start),
               name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

/// A query: header (RD set) and one question, maybe an OPT record.
inline bytes make_query(uint16_t id, const std::string& name,
                        uint16_t qtype = 1, uint16_t qclass = 1,
                        bool edns = false) {
  bytes b;
  put16(b, id);
  put16(b, 0x0100); // RD
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, edns ? 1 : 0);
  auto n = wire_name(name);
  b.insert(b.end(), n.begin(), n.end());
  put16(b, qtype);
  put16(b, qclass);
  if (edns) {
    b.push_back(0);
    put16(b, 41);
    put16(b, 1232);
    put16(b, 0);
    put16(b, 0);
    put16(b, 0);
  }
  return b;
}

/// An answer as a resolver sees it.
struct answer {
  bool ok = false; // libknot parsed it
  uint16_t id = 0;
  int rcode = -1;
  bool tc = false;
  bool qr = false;
  uint16_t qdcount = 0;
  std::vector<std::string> a; // A records, in order
  std::vector<uint32_t> ttls;
  size_t answers = 0; // all answer records
};

inline answer read_answer(const bytes& wire) {
  answer out;
  if (wire.size() < 12)
    return out;
  auto copy = wire;
  auto pkt = knot_pkt_new(copy.data(), static_cast<uint16_t>(copy.size()),
                          nullptr);
  if (pkt == nullptr)
    return out;
  if (knot_pkt_parse(pkt, 0) == KNOT_EOK) {
    out.ok = true;
    out.id = knot_wire_get_id(copy.data());
    out.rcode = knot_wire_get_rcode(copy.data());
    out.tc = knot_wire_get_tc(copy.data());
    out.qr = knot_wire_get_qr(copy.data());
    out.qdcount = knot_wire_get_qdcount(copy.data());
    auto sec = knot_pkt_section(pkt, KNOT_ANSWER);
    for (uint16_t i = 0; i < sec->count; ++i) {
      auto rr = knot_pkt_rr(sec, i);
      for (uint16_t j = 0; j < rr->rrs.count; ++j) {
        ++out.answers;
        if (rr->type != KNOT_RRTYPE_A)
          continue;
        auto rd = knot_rdataset_at(&rr->rrs, j);
        char buf[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, rd->data, buf, sizeof buf);
        out.a.push_back(buf);
        out.ttls.push_back(rr->ttl);
      }
    }
  }
  knot_pkt_free(pkt);
  return out;
}

/// Waits (at most `ms`) until `fd` is readable.
inline bool wait_readable(int fd, int ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

inline sockaddr_in loopback(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

/// Sends one UDP packet to ip:port and returns the reply (empty after
/// `ms` without one).
inline bytes udp_exchange(const char* ip, uint16_t port, const bytes& q,
                          int ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto a = loopback(ip, port);
  ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a),
           sizeof a);
  bytes out;
  if (wait_readable(fd, ms)) {
    out.resize(65536);
    auto n = ::recv(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(fd);
  return out;
}

/// A TCP connection to ip:port (blocking, with receive timeouts).
struct tcp_client {
  int fd = -1;
  tcp_client(const char* ip, uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(ip, port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~tcp_client() {
    if (fd >= 0)
      ::close(fd);
  }
  void send_raw(const bytes& b) {
    [[maybe_unused]] auto n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
  }
  void send_msg(const bytes& q) {
    bytes b;
    put16(b, static_cast<uint16_t>(q.size()));
    b.insert(b.end(), q.begin(), q.end());
    send_raw(b);
  }
  // Reads exactly n bytes; false on close or after 5 s.
  bool read_n(uint8_t* p, size_t n) {
    size_t got = 0;
    while (got < n) {
      if (!wait_readable(fd))
        return false;
      auto k = ::recv(fd, p + got, n - got, 0);
      if (k <= 0)
        return false;
      got += static_cast<size_t>(k);
    }
    return true;
  }
  bytes recv_msg() {
    uint8_t len[2];
    if (!read_n(len, 2))
      return {};
    bytes b((size_t{len[0]} << 8) | len[1]);
    if (!read_n(b.data(), b.size()))
      return {};
    return b;
  }
  // True when the server closed the connection (within 5 s).
  bool closed_by_peer() {
    if (!wait_readable(fd))
      return false;
    uint8_t x;
    return ::recv(fd, &x, 1, 0) == 0;
  }
};

} // namespace dns_test
