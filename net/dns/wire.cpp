#include "net/dns/wire.hpp"

#include <algorithm>
#include <cstring>

// libknot's headers declare no C linkage of their own.
extern "C" {
#include <libknot/libknot.h>
}

namespace actorswarm::dns {

namespace {

constexpr size_t header_size = 12;

// Frees the packet struct libknot allocated (never the wire: it is ours).
struct pkt_guard {
  knot_pkt_t* p;
  ~pkt_guard() {
    if (p != nullptr)
      knot_pkt_free(p);
  }
};

uint8_t lower_byte(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c - 'A' + 'a') : c;
}

void put16(uint8_t* p, uint16_t x) {
  p[0] = static_cast<uint8_t>(x >> 8);
  p[1] = static_cast<uint8_t>(x);
}

void put32(uint8_t* p, uint32_t x) {
  p[0] = static_cast<uint8_t>(x >> 24);
  p[1] = static_cast<uint8_t>(x >> 16);
  p[2] = static_cast<uint8_t>(x >> 8);
  p[3] = static_cast<uint8_t>(x);
}

// The dotted lower-case form of an uncompressed wire name that libknot
// checked (labels of at most 63 bytes, at most 255 bytes in all).
void name_to_text(const uint8_t* n, query& q) {
  size_t out = 0;
  bool plain = true;
  while (*n != 0) {
    size_t len = *n++;
    if (out != 0)
      q.name[out++] = '.';
    for (size_t i = 0; i < len; ++i) {
      auto c = lower_byte(n[i]);
      if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\')
        plain = false;
      q.name[out++] = static_cast<char>(c);
    }
    n += len;
  }
  q.name[out] = '\0';
  q.name_len = out;
  q.plain_name = plain;
}

} // namespace

uint16_t wire_id(const uint8_t* wire) {
  return knot_wire_get_id(wire);
}

void set_wire_id(uint8_t* wire, uint16_t id) {
  knot_wire_set_id(wire, id);
}

verdict parse_query(const uint8_t* wire, size_t len, query& q) {
  q.question_len = 0;
  q.name_len = 0;
  q.name[0] = '\0';
  q.edns = false;
  q.udp_size = udp_plain_max;
  if (len < header_size || len > max_message)
    return verdict::drop;
  q.id = knot_wire_get_id(wire);
  q.flags = static_cast<uint16_t>((wire[2] << 8) | wire[3]);
  if (knot_wire_get_qr(wire))
    return verdict::drop;
  if (knot_wire_get_opcode(wire) != KNOT_OPCODE_QUERY)
    return verdict::notimp;
  if (knot_wire_get_qdcount(wire) != 1)
    return verdict::formerr;
  // libknot takes a non-const wire; with KEEPWIRE and NOCANON it only reads.
  pkt_guard g{knot_pkt_new(const_cast<uint8_t*>(wire),
                           static_cast<uint16_t>(len), nullptr)};
  if (g.p == nullptr)
    return verdict::drop;
  if (knot_pkt_parse(g.p, KNOT_PF_KEEPWIRE | KNOT_PF_NOCANON) != KNOT_EOK)
    return verdict::formerr;
  if (g.p->qname_size == 0)
    return verdict::formerr;
  q.question_len = knot_pkt_question_size(g.p);
  q.qtype = knot_pkt_qtype(g.p);
  q.qclass = knot_pkt_qclass(g.p);
  name_to_text(knot_pkt_qname(g.p), q);
  if (knot_pkt_has_edns(g.p)) {
    q.edns = true;
    q.udp_size = knot_edns_get_payload(g.p->opt_rr);
  }
  if (q.qclass != KNOT_CLASS_IN)
    return verdict::refused;
  return verdict::answer;
}

size_t udp_answer_limit(const query& q) {
  if (!q.edns)
    return udp_plain_max;
  return std::clamp<size_t>(q.udp_size, udp_plain_max, udp_edns_max);
}

size_t write_response(const uint8_t* wire, const query& q, rcode rc,
                      const uint32_t* addrs, size_t n, uint32_t ttl,
                      uint8_t* out, size_t cap) {
  if (cap < header_size)
    return 0;
  constexpr size_t opt_size = 11;
  constexpr size_t a_size = 16; // pointer, type, class, ttl, rdlength, addr
  auto question = q.question_len;
  if (header_size + question > cap)
    question = 0;
  put16(out, q.id);
  // QR, the opcode and RD from the query, RA (we recurse through the
  // upstreams), AA clear as Docker's resolver does, the rcode.
  uint16_t flags = static_cast<uint16_t>(0x8000 | (q.flags & 0x7900) | 0x0080
                                         | static_cast<uint16_t>(rc));
  size_t pos = header_size;
  if (question > 0) {
    std::memcpy(out + pos, wire + header_size, question);
    pos += question;
  }
  bool opt = q.edns && question > 0;
  size_t room = cap - pos - (opt && cap - pos >= opt_size ? opt_size : 0);
  size_t fit = question > 0 ? std::min(n, room / a_size) : 0;
  if (fit < n)
    flags |= 0x0200; // TC
  for (size_t i = 0; i < fit; ++i) {
    put16(out + pos, 0xC000 | header_size); // the question's name
    put16(out + pos + 2, type_a);
    put16(out + pos + 4, class_in);
    put32(out + pos + 6, ttl);
    put16(out + pos + 10, 4);
    std::memcpy(out + pos + 12, &addrs[i], 4); // network byte order already
    pos += a_size;
  }
  if (opt && cap - pos >= opt_size) {
    out[pos] = 0; // root
    put16(out + pos + 1, KNOT_RRTYPE_OPT);
    put16(out + pos + 3, static_cast<uint16_t>(udp_edns_max));
    put32(out + pos + 5, 0); // extended rcode, version 0, no DO
    put16(out + pos + 9, 0);
    pos += opt_size;
  } else {
    opt = false;
  }
  put16(out + 2, flags);
  put16(out + 4, question > 0 ? 1 : 0);
  put16(out + 6, static_cast<uint16_t>(fit));
  put16(out + 8, 0);
  put16(out + 10, opt ? 1 : 0);
  return pos;
}

bool question_key::operator==(const question_key& o) const {
  return qtype == o.qtype && qclass == o.qclass && name_len == o.name_len
         && std::memcmp(name, o.name, name_len) == 0;
}

void question_of(const uint8_t* wire, const query& q, question_key& k) {
  k.qtype = q.qtype;
  k.qclass = q.qclass;
  k.name_len = std::min(q.question_len >= 4 ? q.question_len - 4 : 0,
                        sizeof k.name);
  for (size_t i = 0; i < k.name_len; ++i)
    k.name[i] = lower_byte(wire[header_size + i]);
}

bool parse_answer(const uint8_t* wire, size_t len, uint16_t& id,
                  question_key& k) {
  if (len < header_size || len > max_message || !knot_wire_get_qr(wire)
      || knot_wire_get_qdcount(wire) != 1)
    return false;
  pkt_guard g{knot_pkt_new(const_cast<uint8_t*>(wire),
                           static_cast<uint16_t>(len), nullptr)};
  if (g.p == nullptr
      || knot_pkt_parse(g.p, KNOT_PF_KEEPWIRE | KNOT_PF_NOCANON) != KNOT_EOK
      || g.p->qname_size == 0 || g.p->qname_size > sizeof k.name)
    return false;
  id = knot_wire_get_id(wire);
  k.qtype = knot_pkt_qtype(g.p);
  k.qclass = knot_pkt_qclass(g.p);
  k.name_len = g.p->qname_size;
  auto n = knot_pkt_qname(g.p);
  for (size_t i = 0; i < k.name_len; ++i)
    k.name[i] = lower_byte(n[i]);
  return true;
}

} // namespace actorswarm::dns
