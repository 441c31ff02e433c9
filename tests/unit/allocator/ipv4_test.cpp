#include "actors/allocator/ipv4.hpp"

#include <catch2/catch.hpp>

using actorswarm::errc;
using namespace actorswarm::allocator;

TEST_CASE("ipv4: addresses parse and format as dotted quads", "[unit]") {
  auto a = parse_ipv4("10.0.1.5");
  REQUIRE(a);
  CHECK(*a == 0x0a000105u);
  CHECK(to_string(*a) == "10.0.1.5");
  CHECK(to_string(0xffffffffu) == "255.255.255.255");
  CHECK(to_string(0u) == "0.0.0.0");
  for (auto bad : {"", "10.0.1", "10.0.1.5.6", "10.0.1.256", "10.0.01.5",
                   "a.b.c.d", "10.0.1.5 ", "-1.0.0.0", "1..2.3"}) {
    INFO(bad);
    auto x = parse_ipv4(bad);
    REQUIRE_FALSE(x);
    CHECK(x.error().code == errc::invalid_spec);
    CHECK(x.error().message == std::string{"invalid IP address: "} + bad);
  }
}

TEST_CASE("ipv4: subnets parse strictly in CIDR form", "[unit]") {
  auto s = parse_subnet("10.0.1.0/24");
  REQUIRE(s);
  CHECK(s->base == 0x0a000100u);
  CHECK(s->prefix_len == 24);
  CHECK(s->size() == 256);
  CHECK(s->last() == 0x0a0001ffu);
  CHECK(to_string(*s) == "10.0.1.0/24");
  CHECK(parse_subnet("0.0.0.0/0"));
  CHECK(parse_subnet("10.0.0.1/32"));
  for (auto bad : {"10.0.1.0", "10.0.1.0/", "10.0.1.0/33", "10.0.1.0/024",
                   "10.0.1/24", "foo", "10.0.1.0/24x"}) {
    INFO(bad);
    auto x = parse_subnet(bad);
    REQUIRE_FALSE(x);
    CHECK(x.error().message == std::string{"invalid CIDR address: "} + bad);
  }
}

TEST_CASE("ipv4: a subnet with host bits set is refused with the right one",
          "[unit]") {
  auto x = parse_subnet("10.0.1.1/24");
  REQUIRE_FALSE(x);
  CHECK(x.error().code == errc::invalid_spec);
  CHECK(x.error().message
        == "invalid subnet 10.0.1.1/24: it should be 10.0.1.0/24");
}

TEST_CASE("ipv4: containment and overlap", "[unit]") {
  auto big = *parse_subnet("10.0.0.0/16");
  auto a = *parse_subnet("10.0.1.0/24");
  auto b = *parse_subnet("10.0.2.0/24");
  auto other = *parse_subnet("10.1.0.0/16");
  CHECK(big.contains(a));
  CHECK_FALSE(a.contains(big));
  CHECK(big.overlaps(a));
  CHECK(a.overlaps(big));
  CHECK_FALSE(a.overlaps(b));
  CHECK_FALSE(big.overlaps(other));
  CHECK(a.contains(*parse_ipv4("10.0.1.255")));
  CHECK_FALSE(a.contains(*parse_ipv4("10.0.2.0")));
  auto all = *parse_subnet("0.0.0.0/0");
  CHECK(all.contains(other));
  CHECK(all.size() == (uint64_t{1} << 32));
}

TEST_CASE("ipv4: interfaces keep their host bits", "[unit]") {
  auto x = parse_interface("10.0.1.5/24");
  REQUIRE(x);
  CHECK(to_string(*x) == "10.0.1.5/24");
  CHECK(to_string(x->subnet()) == "10.0.1.0/24");
  CHECK_FALSE(parse_interface("10.0.1.5"));
}
