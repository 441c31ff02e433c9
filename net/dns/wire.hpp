#pragma once

// DNS wire coding for the embedded DNS server. Every packet from a client
// or an upstream is untrusted: it is parsed by libknot (knot_pkt_parse, which
// bounds every name, pointer and record by the packet), and only what
// libknot accepted is read. Responses are small and of one shape (the
// question echoed, A records behind a pointer to it, maybe an OPT record),
// so they are written here directly into a caller's buffer, bounded by it.
//
// What a query gets (RFC 1035 4.1.1, RFC 6891):
//   shorter than a header, or a response (QR set): dropped (no answer, so
//     two servers never answer each other in a loop);
//   opcode other than QUERY: NOTIMP;
//   not exactly one question, or anything libknot refuses (truncated,
//     compression loop or forward pointer, label or name too long, trailing
//     bytes, a bad OPT): FORMERR;
//   class other than IN: REFUSED.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace actorswarm::dns {

/// Response codes we send (RFC 1035 4.1.1).
enum class rcode : uint8_t {
  noerror = 0,
  formerr = 1,
  servfail = 2,
  nxdomain = 3,
  notimp = 4,
  refused = 5,
};

/// Record types we look at.
constexpr uint16_t type_a = 1;
constexpr uint16_t type_aaaa = 28;
constexpr uint16_t class_in = 1;

/// The largest message we read or write (over TCP; UDP is smaller).
constexpr size_t max_message = 65535;
/// A UDP answer's size without EDNS (RFC 1035 4.2.1).
constexpr size_t udp_plain_max = 512;
/// The UDP size we advertise and cap EDNS answers at (the DNS flag day
/// 2020 value: no IP fragmentation).
constexpr size_t udp_edns_max = 1232;

/// What parse_query decided.
enum class verdict : uint8_t {
  answer,  ///< a well-formed query: look the name up
  drop,    ///< no answer at all
  formerr, ///< answer FORMERR
  notimp,  ///< answer NOTIMP
  refused, ///< answer REFUSED
};

/// A parsed query. Points into nothing: the name is copied.
struct query {
  uint16_t id = 0;
  /// The header's second 16 bits as received (RD, opcode...).
  uint16_t flags = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  /// The question's bytes in the packet: [12, 12 + question_len); 0 when
  /// the question could not be parsed (then no question is echoed).
  size_t question_len = 0;
  /// The name in lower case, dotted, without the trailing dot ("" = root).
  char name[256] = {};
  size_t name_len = 0;
  /// False when a label holds a dot, a backslash or a byte outside
  /// printable ASCII: such a name is never one of ours.
  bool plain_name = true;
  /// The query carried an OPT record (EDNS).
  bool edns = false;
  /// The client's EDNS UDP payload size (512 without EDNS).
  uint16_t udp_size = 512;

  std::string_view lower_name() const {
    return {name, name_len};
  }
};

/// Parses a query. `q` is filled as far as the verdict needs it.
verdict parse_query(const uint8_t* wire, size_t len, query& q);

/// The largest UDP answer `q` may get.
size_t udp_answer_limit(const query& q);

/// Writes a response to `q` (whose packet is `wire`) into `out` (capacity
/// `cap`, at least 12): header, the question echoed, `n` A records for the
/// question's name with `ttl`, an OPT record when the query had one. Records
/// that do not fit set TC. Returns the size written (0 when `cap` < 12).
size_t write_response(const uint8_t* wire, const query& q, rcode rc,
                      const uint32_t* addrs, size_t n, uint32_t ttl,
                      uint8_t* out, size_t cap);

/// The id and question of a DNS message, for matching an upstream's answer
/// to the query sent.
struct question_key {
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  /// The name in lower-case wire form (length-prefixed labels).
  uint8_t name[255] = {};
  size_t name_len = 0;

  bool operator==(const question_key& o) const;
};

/// Fills `k` with `q`'s question from its packet `wire`.
void question_of(const uint8_t* wire, const query& q, question_key& k);

/// Parses an upstream's answer with libknot: true when it is a well-formed
/// response (QR set) with exactly one question; then `id` and `k` are set.
bool parse_answer(const uint8_t* wire, size_t len, uint16_t& id,
                  question_key& k);

/// Reads and writes the header's id.
uint16_t wire_id(const uint8_t* wire);
void set_wire_id(uint8_t* wire, uint16_t id);

} // namespace actorswarm::dns
