#include "os/net_names.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::os;

TEST_CASE("net names: IPv4 addresses and prefixes parse and print", "[unit]") {
  CHECK(parse_ipv4("10.0.1.5")->value == 0x0a000105u);
  CHECK(parse_ipv4("255.255.255.255")->value == 0xffffffffu);
  CHECK(parse_ipv4("0.0.0.0")->value == 0u);
  CHECK(to_string(ipv4{0xc0a80a02u}) == "192.168.10.2");
  for (auto bad : {"", "10.0.0", "10.0.0.1.", "10.0.0.256", "10.0.0.01",
                   "a.b.c.d", "10..0.1", " 10.0.0.1", "10.0.0.1/24"}) {
    INFO(bad);
    auto x = parse_ipv4(bad);
    REQUIRE_FALSE(x.ok());
    CHECK(x.error().code == errc::invalid_spec);
  }
  auto p = parse_ipv4_prefix("10.0.1.5/24");
  REQUIRE(p.ok());
  CHECK(p->addr.value == 0x0a000105u);
  CHECK(p->length == 24);
  CHECK(to_string(*p) == "10.0.1.5/24");
  CHECK(parse_ipv4_prefix("0.0.0.0/0")->length == 0);
  for (auto bad : {"10.0.1.0", "10.0.1.0/33", "10.0.1.0/", "10.0.1.0/2x", "/24",
                   "10.0.1/24"}) {
    INFO(bad);
    CHECK_FALSE(parse_ipv4_prefix(bad).ok());
  }
}

TEST_CASE("net names: masks and containment", "[unit]") {
  CHECK(prefix_mask(0) == 0u);
  CHECK(prefix_mask(8) == 0xff000000u);
  CHECK(prefix_mask(24) == 0xffffff00u);
  CHECK(prefix_mask(32) == 0xffffffffu);
  auto net = *parse_ipv4_prefix("10.0.1.0/24");
  CHECK(contains(net, *parse_ipv4("10.0.1.255")));
  CHECK_FALSE(contains(net, *parse_ipv4("10.0.2.1")));
  CHECK(contains(*parse_ipv4_prefix("0.0.0.0/0"), *parse_ipv4("1.2.3.4")));
}

TEST_CASE("net names: a task's MAC is 02:42 and its address, as Docker's",
          "[unit]") {
  auto mac = mac_from_ip(*parse_ipv4("10.0.1.5"));
  CHECK(to_string(mac) == "02:42:0a:00:01:05");
  // Locally administered (bit 1), unicast (bit 0 clear).
  CHECK((mac[0] & 0x02) != 0);
  CHECK((mac[0] & 0x01) == 0);
  CHECK(mac_from_ip(*parse_ipv4("10.0.1.6")) != mac);
}

TEST_CASE("net names: device names fit IFNAMSIZ and parse back", "[unit]") {
  auto tag = node_tag("3f9kq0w8v7u6t5s4r3q2p1o0n");
  REQUIRE(tag.ok());
  CHECK(*tag == "3f9k");
  CHECK(bridge_name(*tag, 0x1001) == "as3f9kb001001");
  CHECK(vxlan_name(*tag, 0x1001) == "as3f9kv001001");
  CHECK(vxlan_name(*tag, vni_max) == "as3f9kvffffff");
  auto ip = *parse_ipv4("10.0.1.5");
  CHECK(task_leg_name(*tag, ip) == "as3f9kt0a000105");
  CHECK(task_leg_name(*tag, ipv4{0xffffffffu}).size() == ifname_length_max);
  auto leg = parse_device_name(task_leg_name(*tag, ip));
  REQUIRE(leg.has_value());
  CHECK(leg->tag == "3f9k");
  CHECK(leg->kind == device_kind::task_leg);
  CHECK(leg->value == ip.value);
  auto vx = parse_device_name("as3f9kv001001");
  REQUIRE(vx.has_value());
  CHECK(vx->kind == device_kind::vxlan);
  CHECK(vx->value == 0x1001u);
  CHECK(parse_device_name("as3f9kb001001")->kind == device_kind::bridge);
  for (auto other :
       {"eth0", "lo", "as3f9kx001001", "as3f9kb00100", "as3f9kb0010011",
        "as3F9kb001001", "as3f9kb00100g", "docker0", "as3f9kt0a00010"}) {
    INFO(other);
    CHECK_FALSE(parse_device_name(other).has_value());
  }
}

TEST_CASE("net names: the gateway bridge and its legs are named by the node "
          "tag and parse back",
          "[unit]") {
  CHECK(gateway_bridge_name("3f9k") == "as3f9kg0");
  auto ip = *parse_ipv4("172.18.0.2");
  CHECK(gateway_leg_name("3f9k", ip) == "as3f9keac120002");
  CHECK(gateway_leg_name("3f9k", ip).size() == ifname_length_max);
  auto br = parse_device_name("as3f9kg0");
  REQUIRE(br.has_value());
  CHECK(br->tag == "3f9k");
  CHECK(br->kind == device_kind::gateway_bridge);
  CHECK(br->value == 0u);
  auto leg = parse_device_name("as3f9keac120002");
  REQUIRE(leg.has_value());
  CHECK(leg->kind == device_kind::gateway_leg);
  CHECK(leg->value == ip.value);
  for (auto other : {"as3f9kg", "as3f9kg00", "as3f9keac12000", "as3f9kgx"}) {
    INFO(other);
    CHECK_FALSE(parse_device_name(other).has_value());
  }
}

TEST_CASE("net names: a node id that cannot tag devices is refused", "[unit]") {
  CHECK(node_tag("abc").error().code == errc::invalid_spec);
  CHECK_FALSE(node_tag("AB12xyz").ok());
  CHECK_FALSE(node_tag("ab-2xyz").ok());
}

TEST_CASE("net names: pinned namespace names parse back", "[unit]") {
  CHECK(network_netns_name("n1") == "n-n1");
  CHECK(task_netns_name("t1") == "t-t1");
  auto n = parse_netns_name("n-abc");
  REQUIRE(n.has_value());
  CHECK(n->kind == netns_kind::network);
  CHECK(n->id == "abc");
  CHECK(parse_netns_name("t-xyz")->kind == netns_kind::task);
  for (auto other : {"", "n-", "x-abc", "nabc", "n-.x", "n-a/b", "t-a b"}) {
    INFO(other);
    CHECK_FALSE(parse_netns_name(other).has_value());
  }
  CHECK(valid_object_id("3f9kq0w8v7u6t5s4r3q2p1o0n"));
  CHECK_FALSE(valid_object_id(std::string(65, 'a')));
}
