#include "actors/allocator/ipam.hpp"

#include <catch2/catch.hpp>

using actorswarm::errc;
using namespace actorswarm::allocator;

namespace {

uint32_t ip(const char* text) {
  return *parse_ipv4(text);
}

ipv4_subnet sn(const char* text) {
  return *parse_subnet(text);
}

ipam make(ipam_config cfg = {}) {
  auto x = ipam::make(cfg);
  REQUIRE(x);
  return std::move(*x);
}

} // namespace

TEST_CASE("ipam: networks get a /24 of 10.0.0.0/8 past ingress, a gateway "
          "and a VNI from 4096",
          "[unit]") {
  auto m = make();
  auto ing = m.add_network("ingress", ingress_subnet, std::nullopt,
                           std::nullopt);
  REQUIRE(ing);
  CHECK(to_string(ing->subnet) == "10.0.0.0/24");
  CHECK(to_string(ing->gateway) == "10.0.0.1");
  CHECK(ing->vni == 4096);
  auto a = m.add_network("a", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE(a);
  CHECK(to_string(a->subnet) == "10.0.1.0/24");
  CHECK(a->vni == 4097);
  auto b = m.add_network("b", sn("192.168.9.0/24"), ip("192.168.9.254"),
                         std::nullopt);
  REQUIRE(b);
  CHECK(to_string(b->gateway) == "192.168.9.254");
  CHECK(m.network_count() == 3);
  CHECK(to_string(*m.allocate_address("a")) == "10.0.1.2");
  CHECK(to_string(*m.allocate_address("b")) == "192.168.9.1");
}

TEST_CASE("ipam: ingress is never handed out even before it exists", "[unit]") {
  auto m = make();
  auto a = m.add_network("a", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE(a);
  CHECK(to_string(a->subnet) == "10.0.1.0/24");
  REQUIRE(m.add_network("ingress", ingress_subnet, std::nullopt, std::nullopt));
}

TEST_CASE("ipam: a bad network request changes nothing", "[unit]") {
  auto m = make();
  REQUIRE(m.add_network("a", sn("10.5.0.0/16"), std::nullopt, 5000));
  auto overlap = m.add_network("b", sn("10.5.3.0/24"), std::nullopt,
                               std::nullopt);
  REQUIRE_FALSE(overlap);
  CHECK(overlap.error().code == errc::refused);
  auto gw = m.add_network("b", sn("10.6.0.0/24"), ip("10.7.0.1"), std::nullopt);
  REQUIRE_FALSE(gw);
  CHECK(gw.error().message == "no matching subnet for gateway 10.7.0.1");
  auto vni = m.add_network("b", std::nullopt, std::nullopt, 5000);
  REQUIRE_FALSE(vni);
  CHECK(vni.error().message == "VXLAN id 5000 is already in use");
  CHECK_FALSE(m.add_network("b", std::nullopt, std::nullopt, 100));
  auto twice = m.add_network("a", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == errc::name_conflict);
  CHECK(m.network_count() == 1);
  // Nothing leaked: the failed requests' subnets and VNIs are free.
  auto b = m.add_network("b", sn("10.6.0.0/24"), std::nullopt, std::nullopt);
  REQUIRE(b);
  CHECK(b->vni == 5001); // rotating: after the last one handed out
  auto c = m.add_network("c", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE(c);
  CHECK(to_string(c->subnet) == "10.0.1.0/24");
}

TEST_CASE("ipam: removing a network frees its subnet, VNI and addresses",
          "[unit]") {
  auto m = make({{sn("10.9.0.0/23")}, 24});
  REQUIRE(m.add_network("a", std::nullopt, std::nullopt, std::nullopt));
  REQUIRE(m.add_network("b", std::nullopt, std::nullopt, std::nullopt));
  auto full = m.add_network("c", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE_FALSE(full);
  CHECK(full.error().message
        == "could not find an available, non-overlapping IPv4 address pool "
           "among the defaults to assign to the network");
  auto addr = m.allocate_address("a");
  REQUIRE(addr);
  REQUIRE(m.remove_network("a"));
  CHECK_FALSE(m.remove_network("a"));
  CHECK_FALSE(m.address_in_use("a", *addr));
  auto c = m.add_network("c", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE(c);
  CHECK(to_string(c->subnet) == "10.9.0.0/24");
  CHECK(m.free_addresses("c") == 253);
}

TEST_CASE("ipam: addresses in an unknown network are refused", "[unit]") {
  auto m = make();
  auto x = m.allocate_address("nope");
  REQUIRE_FALSE(x);
  CHECK(x.error().code == errc::not_found);
  CHECK_FALSE(m.reserve_address("nope", ip("10.0.1.2")));
  CHECK_FALSE(m.release_address("nope", ip("10.0.1.2")));
}

TEST_CASE("ipam: restore rebuilds what the store holds, so nothing is "
          "handed out twice",
          "[unit]") {
  auto m = make();
  port_allocator ports;
  std::vector<network_record> nets{
    {"ingress", "10.0.0.0/24", "10.0.0.1", 4096},
    {"a", "10.0.1.0/24", "", 4097},
    {"b", "10.0.2.0/24", "10.0.2.1", 4098},
    {"pending", "", "", 0},
  };
  std::vector<address_record> addrs{
    {"a", "10.0.1.2/24", "service web vip"},
    {"a", "10.0.1.3/24", "task t1"},
    {"ingress", "10.0.0.2/24", "task t1"},
  };
  std::vector<port_record> published{{port_protocol::tcp, 30000, "web"},
                                     {port_protocol::tcp, 8080, "web"}};
  auto conflicts = restore(m, ports, nets, addrs, published);
  CHECK(conflicts.empty());
  CHECK(m.network_count() == 3);
  CHECK(m.network("pending") == nullptr);
  // Fresh allocations skip everything restored.
  CHECK(to_string(*m.allocate_address("a")) == "10.0.1.4");
  CHECK(to_string(*m.allocate_address("ingress")) == "10.0.0.3");
  auto n = m.add_network("pending", std::nullopt, std::nullopt, std::nullopt);
  REQUIRE(n);
  CHECK(to_string(n->subnet) == "10.0.3.0/24");
  CHECK(n->vni == 4099);
  CHECK(*ports.allocate(port_protocol::tcp, "api") == 30001);
  CHECK_FALSE(ports.reserve(port_protocol::tcp, 8080, "api"));
}

TEST_CASE("ipam: restore reports conflicts instead of merging them", "[unit]") {
  auto m = make();
  port_allocator ports;
  std::vector<network_record> nets{
    {"a", "10.0.1.0/24", "", 4097},
    {"dup-subnet", "10.0.1.0/25", "", 4098},
    {"dup-vni", "10.0.2.0/24", "", 4097},
    {"bad", "10.0.3.1/24", "", 4099},
  };
  std::vector<address_record> addrs{
    {"a", "10.0.1.5/24", "task t1"}, {"a", "10.0.1.5/24", "task t2"},
    {"a", "10.0.9.5/24", "task t3"}, {"gone", "10.0.4.5/24", "task t4"},
    {"a", "junk", "task t5"},
  };
  std::vector<port_record> published{{port_protocol::tcp, 8080, "web"},
                                     {port_protocol::tcp, 8080, "api"}};
  auto conflicts = restore(m, ports, nets, addrs, published);
  REQUIRE(conflicts.size() == 8);
  CHECK(conflicts[0]
        == "network dup-subnet (10.0.1.0/25): invalid pool request: Pool "
           "overlaps with other one on this address space");
  CHECK(conflicts[1]
        == "network dup-vni (10.0.2.0/24): VXLAN id 4097 is already in use");
  CHECK(conflicts[2]
        == "network bad: invalid subnet 10.0.3.1/24: it should be "
           "10.0.3.0/24");
  CHECK(conflicts[3]
        == "task t2 on network a: 10.0.1.5/24: Address already in use: "
           "10.0.1.5");
  CHECK(conflicts[4]
        == "task t3 on network a: 10.0.9.5/24: requested address 10.0.9.5 "
           "is out of range 10.0.1.0/24");
  CHECK(conflicts[5]
        == "task t4 on network gone: 10.0.4.5/24: network gone has no "
           "subnet");
  CHECK(conflicts[6] == "task t5 on network a: invalid IP address: junk");
  CHECK(conflicts[7]
        == "service api: published port 8080/tcp: port '8080' is already in "
           "use by service 'web'");
  // The first holders keep what they had.
  CHECK(m.address_in_use("a", ip("10.0.1.5")));
  CHECK(*ports.owner(port_protocol::tcp, 8080) == "web");
  CHECK(m.network_count() == 1);
}
