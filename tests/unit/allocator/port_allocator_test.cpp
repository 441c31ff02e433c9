#include "actors/allocator/port_allocator.hpp"

#include <catch2/catch.hpp>

using actorswarm::errc;
using namespace actorswarm::allocator;

TEST_CASE("port allocator: ports without a number come from 30000-32767",
          "[unit]") {
  port_allocator p;
  CHECK(*p.allocate(port_protocol::tcp, "s1") == 30000);
  CHECK(*p.allocate(port_protocol::tcp, "s1") == 30001);
  // Per protocol: udp has its own 30000.
  CHECK(*p.allocate(port_protocol::udp, "s2") == 30000);
  // A requested port inside the range is skipped by the dynamic search.
  REQUIRE(p.reserve(port_protocol::tcp, 30002, "s3"));
  CHECK(*p.allocate(port_protocol::tcp, "s1") == 30003);
  CHECK(p.size() == 5);
}

TEST_CASE("port allocator: the dynamic range runs out, and a released port "
          "is reused last",
          "[unit]") {
  port_allocator p;
  for (uint32_t i = dynamic_port_first; i <= dynamic_port_last; ++i)
    REQUIRE(*p.allocate(port_protocol::tcp, "s") == i);
  auto x = p.allocate(port_protocol::tcp, "s");
  REQUIRE_FALSE(x);
  CHECK(x.error().code == errc::refused);
  CHECK(x.error().message
        == "all dynamic ports 30000-32767 are allocated (tcp)");
  REQUIRE(p.release(port_protocol::tcp, 30005, "s"));
  CHECK(*p.allocate(port_protocol::tcp, "t") == 30005);
  REQUIRE(p.release(port_protocol::tcp, 30007, "s"));
  REQUIRE(p.release(port_protocol::tcp, 30006, "t") == false);
  CHECK(*p.allocate(port_protocol::tcp, "t") == 30007);
}

TEST_CASE("port allocator: requested ports 1-65535, refused when taken by "
          "another service",
          "[unit]") {
  port_allocator p;
  REQUIRE(p.reserve(port_protocol::tcp, 8080, "web"));
  REQUIRE(p.reserve(port_protocol::tcp, 8080, "web")); // same owner: fine
  REQUIRE(p.reserve(port_protocol::udp, 8080, "dns"));
  auto st = p.reserve(port_protocol::tcp, 8080, "api");
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::refused);
  CHECK(st.error().message == "port '8080' is already in use by service 'web'");
  REQUIRE(p.owner(port_protocol::tcp, 8080) != nullptr);
  CHECK(*p.owner(port_protocol::tcp, 8080) == "web");
  CHECK(p.owner(port_protocol::sctp, 8080) == nullptr);
  REQUIRE(p.reserve(port_protocol::tcp, 1, "a"));
  REQUIRE(p.reserve(port_protocol::tcp, 65535, "a"));
  for (uint32_t bad : {0u, 65536u, 70000u}) {
    INFO(bad);
    auto x = p.reserve(port_protocol::tcp, bad, "a");
    REQUIRE_FALSE(x);
    CHECK(x.error().code == errc::invalid_spec);
    CHECK(x.error().message
          == "invalid published port " + std::to_string(bad)
               + ": must be 1-65535");
  }
  CHECK_FALSE(p.release(port_protocol::tcp, 8080, "api"));
  REQUIRE(p.release(port_protocol::tcp, 8080, "web"));
  REQUIRE(p.reserve(port_protocol::tcp, 8080, "api"));
}

TEST_CASE("port allocator: protocols and Docker's in-use text", "[unit]") {
  CHECK(*parse_protocol("") == port_protocol::tcp);
  CHECK(*parse_protocol("udp") == port_protocol::udp);
  CHECK(*parse_protocol("sctp") == port_protocol::sctp);
  auto x = parse_protocol("icmp");
  REQUIRE_FALSE(x);
  CHECK(x.error().message == "invalid protocol \"icmp\"");
  CHECK(std::string{to_string(port_protocol::udp)} == "udp");
  CHECK(port_in_use_text(8080, "web", "abc123")
        == "port '8080' is already in use by service 'web' (abc123) as an "
           "ingress port");
}
