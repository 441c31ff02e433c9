#include "actors/allocator/subnet_pool.hpp"

#include <catch2/catch.hpp>

using actorswarm::errc;
using namespace actorswarm::allocator;

namespace {

ipv4_subnet sn(const char* text) {
  auto x = parse_subnet(text);
  REQUIRE(x);
  return *x;
}

subnet_pool make(std::vector<ipv4_subnet> pools, uint8_t size,
                 std::vector<ipv4_subnet> excluded = {}) {
  auto p = subnet_pool::make(std::move(pools), size, std::move(excluded));
  REQUIRE(p);
  return std::move(*p);
}

std::string next(subnet_pool& p) {
  auto x = p.allocate();
  REQUIRE(x);
  return to_string(*x);
}

constexpr auto exhausted = "could not find an available, non-overlapping "
                           "IPv4 address pool among the defaults to assign "
                           "to the network";

} // namespace

TEST_CASE("subnet pool: 10.0.0.0/8 is carved into /24s, ingress's "
          "10.0.0.0/24 excluded",
          "[unit]") {
  auto p = make({sn("10.0.0.0/8")}, 24, {sn("10.0.0.0/24")});
  CHECK(next(p) == "10.0.1.0/24");
  CHECK(next(p) == "10.0.2.0/24");
  // Ingress itself may take its subnet (requested).
  CHECK(p.reserve(sn("10.0.0.0/24")));
  CHECK(next(p) == "10.0.3.0/24");
  CHECK(p.allocated_count() == 4);
}

TEST_CASE("subnet pool: a released subnet is handed out again once the "
          "others are taken",
          "[unit]") {
  auto p = make({sn("10.0.0.0/22")}, 24);
  CHECK(next(p) == "10.0.0.0/24");
  CHECK(next(p) == "10.0.1.0/24");
  REQUIRE(p.release(sn("10.0.0.0/24")));
  CHECK_FALSE(p.release(sn("10.0.0.0/24")));
  CHECK_FALSE(p.release(sn("10.0.1.0/25"))); // not exactly what was taken
  CHECK(next(p) == "10.0.2.0/24");
  CHECK(next(p) == "10.0.3.0/24");
  CHECK(next(p) == "10.0.0.0/24");
  CHECK_FALSE(p.allocate());
}

TEST_CASE("subnet pool: requested subnets are refused when they overlap an "
          "allocated one",
          "[unit]") {
  auto p = make({sn("10.0.0.0/8")}, 24);
  CHECK(next(p) == "10.0.0.0/24");
  for (auto bad :
       {"10.0.0.0/24", "10.0.0.0/16", "10.0.0.128/25", "0.0.0.0/0"}) {
    INFO(bad);
    auto st = p.reserve(sn(bad));
    REQUIRE_FALSE(st);
    CHECK(st.error().code == errc::refused);
    CHECK(st.error().message
          == "invalid pool request: Pool overlaps with other one on this "
             "address space");
  }
  // Outside the pools is fine, and a requested /16 pushes allocation past
  // it.
  CHECK(p.reserve(sn("192.168.7.0/24")));
  CHECK(p.reserve(sn("10.0.2.0/23")));
  CHECK(next(p) == "10.0.1.0/24");
  CHECK(next(p) == "10.0.4.0/24");
  REQUIRE(p.release(sn("10.0.1.0/24")));
  CHECK(next(p) == "10.0.5.0/24");
  CHECK(p.overlapping(sn("10.0.3.0/24")) != nullptr);
  CHECK(p.overlapping(sn("10.0.6.0/24")) == nullptr);
}

TEST_CASE("subnet pool: exhaustion of several pools", "[unit]") {
  auto p = make({sn("10.10.0.0/23"), sn("172.20.0.0/24")}, 24);
  CHECK(next(p) == "10.10.0.0/24");
  CHECK(next(p) == "10.10.1.0/24");
  CHECK(next(p) == "172.20.0.0/24");
  auto x = p.allocate();
  REQUIRE_FALSE(x);
  CHECK(x.error().code == errc::refused);
  CHECK(x.error().message == exhausted);
  // The search wraps to the first pool.
  REQUIRE(p.release(sn("10.10.1.0/24")));
  CHECK(next(p) == "10.10.1.0/24");
  REQUIRE(p.release(sn("172.20.0.0/24")));
  CHECK(next(p) == "172.20.0.0/24");
}

TEST_CASE("subnet pool: a pool wholly excluded or taken by one requested "
          "subnet is exhausted",
          "[unit]") {
  auto p = make({sn("10.0.0.0/24")}, 26, {sn("10.0.0.0/25")});
  CHECK(next(p) == "10.0.0.128/26");
  CHECK(next(p) == "10.0.0.192/26");
  CHECK_FALSE(p.allocate());
  auto q = make({sn("10.0.0.0/16")}, 24);
  REQUIRE(q.reserve(sn("10.0.0.0/16")));
  CHECK_FALSE(q.allocate());
}

TEST_CASE("subnet pool: bad pool settings are refused", "[unit]") {
  CHECK_FALSE(subnet_pool::make({}, 24, {}));
  CHECK_FALSE(subnet_pool::make({sn("10.0.0.0/8")}, 31, {}));
  CHECK_FALSE(subnet_pool::make({sn("10.0.0.0/8")}, 7, {}));
  CHECK_FALSE(subnet_pool::make({sn("10.0.0.0/25")}, 24, {}));
  auto x = subnet_pool::make({sn("10.0.0.0/8"), sn("10.1.0.0/16")}, 24, {});
  REQUIRE_FALSE(x);
  CHECK(x.error().code == errc::invalid_spec);
  CHECK(x.error().message
        == "default address pool 10.1.0.0/16 overlaps 10.0.0.0/8");
}

TEST_CASE("subnet pool: 65535 /24s of 10.0.0.0/8 allocate in linear time",
          "[unit]") {
  auto p = make({sn("10.0.0.0/8")}, 24, {sn("10.0.0.0/24")});
  for (int i = 0; i < 65535; ++i)
    REQUIRE(p.allocate());
  CHECK_FALSE(p.allocate());
  CHECK(p.allocated_count() == 65535);
}
