// Addresses of the cluster port's wire (net/tls_socket.hpp): IP literals
// with a port, nothing else.

#include "net/tls_socket.hpp"

#include <netinet/in.h>

#include <catch2/catch.hpp>

using actorswarm::net::parse_endpoint;

TEST_CASE("tls socket: IPv4 and bracketed IPv6 addresses with a port "
          "parse, anything else is refused",
          "[unit]") {
  auto v4 = parse_endpoint("127.0.0.1:2377");
  REQUIRE(v4);
  CHECK(v4->addr.ss_family == AF_INET);
  CHECK(ntohs(reinterpret_cast<sockaddr_in*>(&v4->addr)->sin_port) == 2377);
  auto v6 = parse_endpoint("[::1]:2377");
  REQUIRE(v6);
  CHECK(v6->addr.ss_family == AF_INET6);
  for (auto bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                   "127.0.0.1:80a", "localhost:80", "::1:80x", "", ":80",
                   "127.0.0.1:1234567"}) {
    INFO(bad);
    auto r = parse_endpoint(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("not an I") == 0);
  }
}
