#include "actors/allocator/address_pool.hpp"

#include <chrono>
#include <set>

#include <catch2/catch.hpp>

using actorswarm::errc;
using namespace actorswarm::allocator;

namespace {

uint32_t ip(const char* text) {
  return *parse_ipv4(text);
}

address_pool pool(const char* cidr, const char* gateway = nullptr) {
  std::optional<uint32_t> gw;
  if (gateway)
    gw = ip(gateway);
  auto p = address_pool::make(*parse_subnet(cidr), gw);
  REQUIRE(p);
  return std::move(*p);
}

} // namespace

TEST_CASE("address pool: a /30 holds one address besides its gateway",
          "[unit]") {
  auto p = pool("10.0.5.0/30");
  CHECK(p.gateway() == ip("10.0.5.1"));
  CHECK(p.free_count() == 1);
  auto a = p.allocate();
  REQUIRE(a);
  CHECK(to_string(*a) == "10.0.5.2");
  auto b = p.allocate();
  REQUIRE_FALSE(b);
  CHECK(b.error().code == errc::refused);
  CHECK(b.error().message == "no available addresses on this pool");
  REQUIRE(p.release(*a));
  CHECK(p.allocate());
}

TEST_CASE("address pool: a /29 hands out its 5 host addresses, never the "
          "network, broadcast or gateway address",
          "[unit]") {
  auto p = pool("10.0.5.8/29");
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto a = p.allocate();
    REQUIRE(a);
    got.insert(to_string(*a));
  }
  CHECK(got
        == std::set<std::string>{"10.0.5.10", "10.0.5.11", "10.0.5.12",
                                 "10.0.5.13", "10.0.5.14"});
  CHECK_FALSE(p.allocate());
  CHECK(p.free_count() == 0);
}

TEST_CASE("address pool: a released address is not reused at once", "[unit]") {
  auto p = pool("10.0.5.0/24");
  auto a = *p.allocate(); // .2
  auto b = *p.allocate(); // .3
  REQUIRE(p.release(a));
  auto c = *p.allocate();
  CHECK(to_string(b) == "10.0.5.3");
  CHECK(to_string(c) == "10.0.5.4");
  // .5 to .254 go first; only then does the cursor wrap to the freed .2.
  for (int i = 0; i < 250; ++i)
    REQUIRE(*p.allocate() != a);
  CHECK(p.free_count() == 1);
  CHECK(*p.allocate() == a);
  CHECK_FALSE(p.allocate());
}

TEST_CASE("address pool: a given gateway is kept out, the first address "
          "is then handed out",
          "[unit]") {
  auto p = pool("10.0.5.0/29", "10.0.5.6");
  CHECK(p.in_use(ip("10.0.5.6")));
  std::set<std::string> got;
  while (auto a = p.allocate())
    got.insert(to_string(*a));
  CHECK(got
        == std::set<std::string>{"10.0.5.1", "10.0.5.2", "10.0.5.3", "10.0.5.4",
                                 "10.0.5.5"});
}

TEST_CASE("address pool: a gateway outside its subnet is refused", "[unit]") {
  for (auto gw : {"10.0.6.1", "10.0.5.0", "10.0.5.255"}) {
    INFO(gw);
    auto p = address_pool::make(*parse_subnet("10.0.5.0/24"), ip(gw));
    REQUIRE_FALSE(p);
    CHECK(p.error().code == errc::invalid_spec);
    CHECK(p.error().message
          == std::string{"no matching subnet for gateway "} + gw);
  }
}

TEST_CASE("address pool: subnets of /31 and /32, or larger than /8, are "
          "refused",
          "[unit]") {
  for (auto cidr : {"10.0.5.0/31", "10.0.5.0/32", "10.0.0.0/7"}) {
    INFO(cidr);
    auto p = address_pool::make(*parse_subnet(cidr), std::nullopt);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == errc::invalid_spec);
  }
}

TEST_CASE("address pool: requested addresses", "[unit]") {
  auto p = pool("10.0.5.0/24");
  REQUIRE(p.reserve(ip("10.0.5.2")));
  auto again = p.reserve(ip("10.0.5.2"));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::refused);
  CHECK(again.error().message == "Address already in use: 10.0.5.2");
  // allocate() skips a requested address.
  CHECK(to_string(*p.allocate()) == "10.0.5.3");
  for (auto bad : {"10.0.6.2", "10.0.5.0", "10.0.5.255", "10.0.5.1"}) {
    INFO(bad);
    auto st = p.reserve(ip(bad));
    REQUIRE_FALSE(st);
    CHECK(st.error().code == errc::invalid_spec);
  }
  CHECK(p.free_count() == 251);
  CHECK_FALSE(p.release(ip("10.0.5.1"))); // the gateway stays
  CHECK_FALSE(p.release(ip("10.0.5.9"))); // never taken
  CHECK(p.free_count() == 251);
}

TEST_CASE("address pool: 100k addresses of a /8 allocate, release and "
          "allocate again without a repeat",
          "[unit]") {
  // Timed loosely (the leader allocates for 100k tasks): about 10 ms here,
  // so 5 s only catches a quadratic search. bench/ipam_bench.cpp measures.
  auto start = std::chrono::steady_clock::now();
  auto p = pool("10.0.0.0/8");
  std::vector<uint32_t> xs;
  xs.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    auto a = p.allocate();
    REQUIRE(a);
    xs.push_back(*a);
  }
  CHECK(std::set<uint32_t>(xs.begin(), xs.end()).size() == xs.size());
  for (auto x : xs)
    REQUIRE(p.release(x));
  // The cursor moved on: the next 100k are all new addresses.
  for (int i = 0; i < 100000; ++i) {
    auto a = p.allocate();
    REQUIRE(a);
    REQUIRE(*a > xs.back());
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
