#include "net/dns/wire.hpp"

#include <arpa/inet.h>

#include <random>

#include <catch2/catch.hpp>

#include "unit/dns/dns_test_util.hpp"

using namespace actorswarm::dns;
using namespace dns_test;

namespace {

verdict parse(const bytes& b) {
  query q;
  return parse_query(b.data(), b.size(), q);
}

uint32_t ip(const char* s) {
  in_addr a{};
  inet_pton(AF_INET, s, &a);
  return a.s_addr;
}

} // namespace

TEST_CASE("dns wire: a well-formed query parses, name lowered, no trailing "
          "dot",
          "[dns]") {
  auto b = make_query(0x1234, "Web.Tasks.Example", type_a);
  query q;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::answer);
  CHECK(q.id == 0x1234);
  CHECK(q.qtype == type_a);
  CHECK(q.qclass == class_in);
  CHECK(q.lower_name() == "web.tasks.example");
  CHECK(q.plain_name);
  CHECK_FALSE(q.edns);
  CHECK(q.question_len == b.size() - 12);
  CHECK(udp_answer_limit(q) == 512);
  auto e = make_query(1, "x", type_a, class_in, true);
  REQUIRE(parse_query(e.data(), e.size(), q) == verdict::answer);
  CHECK(q.edns);
  CHECK(q.udp_size == 1232);
  CHECK(udp_answer_limit(q) == 1232);
}

TEST_CASE("dns wire: a label with a dot or a control byte is not a plain "
          "name",
          "[dns]") {
  auto b = make_query(1, "ab", type_a);
  b[13] = '.'; // the label "a" + "b" becomes ".b"
  query q;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::answer);
  CHECK_FALSE(q.plain_name);
  b[13] = 0x01;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::answer);
  CHECK_FALSE(q.plain_name);
}

TEST_CASE("dns wire: packets shorter than a header, or responses, are "
          "dropped",
          "[dns]") {
  CHECK(parse(bytes{}) == verdict::drop);
  CHECK(parse(bytes{1, 2, 3, 4, 5}) == verdict::drop);
  auto b = make_query(1, "web");
  b[2] |= 0x80; // QR
  CHECK(parse(b) == verdict::drop);
}

TEST_CASE("dns wire: opcodes other than QUERY get NOTIMP", "[dns]") {
  for (uint8_t op : {1, 2, 4, 5, 15}) {
    auto b = make_query(1, "web");
    b[2] = static_cast<uint8_t>((b[2] & 0x87) | (op << 3));
    CHECK(parse(b) == verdict::notimp);
  }
}

TEST_CASE("dns wire: no question or several questions get FORMERR", "[dns]") {
  auto b = make_query(1, "web");
  b[5] = 0;
  CHECK(parse(b) == verdict::formerr);
  b = make_query(1, "web");
  b[5] = 2;
  auto n = wire_name("db");
  b.insert(b.end(), n.begin(), n.end());
  put16(b, 1);
  put16(b, 1);
  CHECK(parse(b) == verdict::formerr);
}

TEST_CASE("dns wire: truncated packets get FORMERR", "[dns]") {
  auto full = make_query(1, "service.example");
  for (size_t len = 12; len < full.size(); ++len) {
    bytes cut(full.begin(), full.begin() + static_cast<long>(len));
    INFO("length " << len);
    CHECK(parse(cut) == verdict::formerr);
  }
  // a header promising an answer record that is not there
  auto b = make_query(1, "web");
  b[7] = 1;
  CHECK(parse(b) == verdict::formerr);
}

TEST_CASE("dns wire: compression loops and forward pointers get FORMERR",
          "[dns]") {
  // the question's name is a pointer to itself
  bytes self{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  CHECK(parse(self) == verdict::formerr);
  // a pointer forward, into the type field
  bytes fwd{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0, 1, 0, 1};
  CHECK(parse(fwd) == verdict::formerr);
  // an answer record whose owner points at itself (a loop in a later
  // section)
  auto b = make_query(1, "web");
  b[7] = 1;
  auto at = b.size();
  b.push_back(0xC0);
  b.push_back(static_cast<uint8_t>(at));
  put16(b, 1);
  put16(b, 1);
  put16(b, 0);
  put16(b, 60);
  put16(b, 4);
  for (int i = 0; i < 4; ++i)
    b.push_back(1);
  CHECK(parse(b) == verdict::formerr);
  // two pointers pointing at each other
  auto c = make_query(1, "web");
  c[7] = 1;
  auto p = c.size();
  c.push_back(0xC0);
  c.push_back(static_cast<uint8_t>(p + 2));
  c.push_back(0xC0);
  c.push_back(static_cast<uint8_t>(p));
  put16(c, 1);
  put16(c, 1);
  CHECK(parse(c) == verdict::formerr);
}

TEST_CASE("dns wire: labels over 63 bytes and names over 255 get FORMERR",
          "[dns]") {
  bytes b{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64};
  b.insert(b.end(), 64, 'a');
  b.push_back(0);
  put16(b, 1);
  put16(b, 1);
  CHECK(parse(b) == verdict::formerr);
  bytes l{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 5; ++i) {
    l.push_back(63);
    l.insert(l.end(), 63, 'a');
  }
  l.push_back(0);
  put16(l, 1);
  put16(l, 1);
  CHECK(parse(l) == verdict::formerr);
}

TEST_CASE("dns wire: trailing bytes after the last record get FORMERR",
          "[dns]") {
  auto b = make_query(1, "web");
  b.push_back(0);
  b.push_back(0);
  CHECK(parse(b) == verdict::formerr);
}

TEST_CASE("dns wire: oversized packets are dropped", "[dns]") {
  bytes big(max_message + 1, 0);
  auto q = make_query(1, "web");
  std::copy(q.begin(), q.end(), big.begin());
  CHECK(parse(big) == verdict::drop);
}

TEST_CASE("dns wire: a class other than IN gets REFUSED", "[dns]") {
  CHECK(parse(make_query(1, "web", type_a, 3)) == verdict::refused);   // CH
  CHECK(parse(make_query(1, "web", type_a, 255)) == verdict::refused); // ANY
}

TEST_CASE("dns wire: random corruptions of queries never crash the parser",
          "[dns]") {
  std::mt19937 rng{20261205};
  auto base = make_query(0x4242, "web.tasks.example", type_a, class_in, true);
  size_t answers = 0;
  for (int i = 0; i < 20000; ++i) {
    auto b = base;
    auto flips = 1 + rng() % 4;
    for (unsigned k = 0; k < flips; ++k)
      b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0)
      b.resize(rng() % (b.size() + 1));
    query q;
    auto v = parse_query(b.data(), b.size(), q);
    if (v == verdict::answer) {
      ++answers;
      CHECK(q.name_len < sizeof q.name);
      uint8_t out[512];
      uint32_t a = ip("10.0.0.1");
      auto n = write_response(b.data(), q, rcode::noerror, &a, 1, 600, out,
                              sizeof out);
      CHECK(n >= 12);
      CHECK(n <= sizeof out);
    }
  }
  CHECK(answers > 0);
}

TEST_CASE("dns wire: a response echoes id and question and carries the A "
          "records",
          "[dns]") {
  auto b = make_query(0xBEEF, "Web", type_a);
  query q;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::answer);
  uint32_t addrs[] = {ip("10.0.1.5"), ip("10.0.1.6")};
  uint8_t out[512];
  auto n = write_response(b.data(), q, rcode::noerror, addrs, 2, 600, out,
                          sizeof out);
  auto a = read_answer(bytes(out, out + n));
  REQUIRE(a.ok);
  CHECK(a.qr);
  CHECK(a.id == 0xBEEF);
  CHECK(a.rcode == 0);
  CHECK(a.qdcount == 1);
  CHECK_FALSE(a.tc);
  CHECK(a.a == std::vector<std::string>{"10.0.1.5", "10.0.1.6"});
  CHECK(a.ttls == std::vector<uint32_t>{600, 600});
  CHECK(out[3] & 0x80);                                 // RA
  CHECK(out[2] & 0x01);                                 // RD echoed
  CHECK(std::equal(b.begin() + 12, b.end(), out + 12)); // question as sent
}

TEST_CASE("dns wire: answers that do not fit set TC, EDNS raises the limit",
          "[dns]") {
  std::vector<uint32_t> many(100, ip("10.0.0.1"));
  auto b = make_query(1, "big", type_a);
  query q;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::answer);
  uint8_t out[1232];
  auto n = write_response(b.data(), q, rcode::noerror, many.data(), many.size(),
                          600, out, udp_answer_limit(q));
  CHECK(n <= 512);
  auto a = read_answer(bytes(out, out + n));
  REQUIRE(a.ok);
  CHECK(a.tc);
  CHECK(a.a.size() == (512 - 12 - q.question_len) / 16);
  auto e = make_query(1, "big", type_a, class_in, true);
  REQUIRE(parse_query(e.data(), e.size(), q) == verdict::answer);
  n = write_response(e.data(), q, rcode::noerror, many.data(), 50, 600, out,
                     udp_answer_limit(q));
  a = read_answer(bytes(out, out + n));
  REQUIRE(a.ok);
  CHECK_FALSE(a.tc);
  CHECK(a.a.size() == 50);
}

TEST_CASE("dns wire: error answers echo the question when it was read",
          "[dns]") {
  auto b = make_query(7, "web", type_a, 3);
  query q;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::refused);
  uint8_t out[512];
  auto n = write_response(b.data(), q, rcode::refused, nullptr, 0, 0, out,
                          sizeof out);
  auto a = read_answer(bytes(out, out + n));
  REQUIRE(a.ok);
  CHECK(a.rcode == 5);
  CHECK(a.qdcount == 1);
  bytes self{0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  REQUIRE(parse_query(self.data(), self.size(), q) == verdict::formerr);
  n = write_response(self.data(), q, rcode::formerr, nullptr, 0, 0, out,
                     sizeof out);
  CHECK(n == 12);
  a = read_answer(bytes(out, out + n));
  REQUIRE(a.ok);
  CHECK(a.id == 9);
  CHECK(a.rcode == 1);
  CHECK(a.qdcount == 0);
}

TEST_CASE("dns wire: an upstream answer is matched by its question, any "
          "case",
          "[dns]") {
  auto b = make_query(5, "Example.COM", type_a);
  query q;
  REQUIRE(parse_query(b.data(), b.size(), q) == verdict::answer);
  question_key sent;
  question_of(b.data(), q, sent);
  uint32_t a = ip("192.0.2.1");
  uint8_t out[512];
  auto n = write_response(b.data(), q, rcode::noerror, &a, 1, 60, out,
                          sizeof out);
  uint16_t id = 0;
  question_key got;
  REQUIRE(parse_answer(out, n, id, got));
  CHECK(id == 5);
  CHECK(got == sent);
  auto other = make_query(5, "example.org", type_a);
  REQUIRE(parse_query(other.data(), other.size(), q) == verdict::answer);
  question_key k2;
  question_of(other.data(), q, k2);
  CHECK_FALSE(got == k2);
  // a query is not an answer
  CHECK_FALSE(parse_answer(b.data(), b.size(), id, got));
}
