#include "os/netlink.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "unit/dataplane/dataplane_test_support.hpp"

using namespace actorswarm;
using namespace actorswarm::os;
using namespace actorswarm::test;

namespace {

bool has_link(netlink_conn& conn, const std::string& name) {
  auto links = conn.links();
  REQUIRE(links.ok());
  return std::any_of(links->begin(), links->end(),
                     [&](const link_info& x) { return x.name == name; });
}

} // namespace

TEST_CASE("netlink: a veth pair across namespaces carries TCP between the "
          "addresses set on it",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_pins pins{"as-nl-veth"};
  auto a = pins.dir.create("a");
  auto b = pins.dir.create("b");
  require_ok(a);
  require_ok(b);
  auto ca = netlink_conn::open(*a);
  auto cb = netlink_conn::open(*b);
  require_ok(ca);
  require_ok(cb);
  veth_spec spec;
  spec.name = "va";
  spec.mtu = 1400;
  spec.peer_name = "eth0";
  spec.peer_ns = &*b;
  spec.peer_mac = mac_from_ip(*parse_ipv4("10.1.0.2"));
  spec.set_peer_mac = true;
  require_ok(ca->create_veth(spec));
  CHECK(ca->create_veth(spec).error().code == errc::internal); // exists
  auto va = ca->link("va");
  auto eth = cb->link("eth0");
  require_ok(va);
  require_ok(eth);
  CHECK(va->kind == "veth");
  CHECK(va->up);
  CHECK(va->mtu == 1400);
  CHECK_FALSE(eth->up); // the peer comes up in its namespace
  CHECK_FALSE(has_link(*ca, "eth0"));
  CHECK(cb->link("va").error().code == errc::not_found);
  require_ok(ca->add_address(va->index, *parse_ipv4_prefix("10.1.0.1/24")));
  require_ok(ca->add_address(va->index, *parse_ipv4_prefix("10.1.0.1/24")));
  require_ok(cb->add_address(eth->index, *parse_ipv4_prefix("10.1.0.2/24")));
  require_ok(cb->set_up(eth->index, true));
  CHECK(cb->link("eth0")->up);
  auto addrs = cb->addresses(eth->index);
  require_ok(addrs);
  REQUIRE(addrs->size() == 1);
  CHECK(to_string((*addrs)[0]) == "10.1.0.2/24");
  CHECK(*cb->index_of_address(*parse_ipv4("10.1.0.2")) == eth->index);
  require_ok(cb->set_default_route(*parse_ipv4("10.1.0.1"), eth->index));
  require_ok(cb->set_up(1, true));
  require_ok(ca->set_up(1, true));
  CHECK(tcp_exchange(*a, *b, *parse_ipv4("10.1.0.2"))
        == "hello over the overlay");
  require_ok(ca->set_mtu(va->index, 1300));
  CHECK(ca->link("va")->mtu == 1300);
  require_ok(ca->set_up(va->index, false));
  CHECK_FALSE(ca->link("va")->up);
  require_ok(cb->delete_address(eth->index, *parse_ipv4_prefix("10.1.0.2/24")));
  CHECK(cb->addresses(eth->index)->empty());
  // Deleting one end deletes both.
  require_ok(ca->delete_link(va->index));
  CHECK(cb->link("eth0").error().code == errc::not_found);
  CHECK(ca->delete_link(va->index).error().code == errc::not_found);
}

TEST_CASE("netlink: a VXLAN device made into another namespace is on its "
          "bridge there and holds static FDB and neighbour entries",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_pins pins{"as-nl-vxlan"};
  auto host = pins.dir.create("host");
  auto net = pins.dir.create("net");
  require_ok(host);
  require_ok(net);
  auto ch = netlink_conn::open(*host);
  auto cn = netlink_conn::open(*net);
  require_ok(ch);
  require_ok(cn);
  auto gw_mac = mac_from_ip(*parse_ipv4("10.2.0.1"));
  require_ok(cn->create_bridge("br", 1450, &gw_mac));
  auto br = cn->link("br");
  require_ok(br);
  CHECK(br->kind == "bridge");
  CHECK(br->mtu == 1450);
  vxlan_spec spec;
  spec.name = "vx";
  spec.vni = 4097;
  spec.port = 4790;
  spec.local = *parse_ipv4("192.168.9.1");
  spec.mtu = 1450;
  spec.target = &*net;
  spec.master = br->index;
  require_ok(ch->create_vxlan(spec));
  CHECK_FALSE(has_link(*ch, "vx"));
  auto vx = cn->link("vx");
  require_ok(vx);
  CHECK(vx->kind == "vxlan");
  CHECK(vx->master == br->index);
  CHECK(vx->up);
  auto info = cn->vxlan(vx->index);
  require_ok(info);
  CHECK(info->vni == 4097);
  CHECK(info->port == 4790);
  CHECK(info->local == spec.local);
  CHECK_FALSE(info->learning);
  CHECK(info->proxy);
  CHECK(cn->vxlan(br->index).error().code == errc::not_found);
  auto peer_ip = *parse_ipv4("10.2.0.7");
  fdb_entry f{mac_from_ip(peer_ip), *parse_ipv4("192.168.9.2")};
  require_ok(cn->set_fdb(vx->index, f));
  require_ok(cn->set_fdb(vx->index, f)); // replace: same entry
  require_ok(cn->set_neighbour(vx->index, neigh_entry{peer_ip, f.mac}));
  auto fdb = cn->fdb(vx->index);
  require_ok(fdb);
  REQUIRE(fdb->size() == 1);
  CHECK((*fdb)[0].mac == f.mac);
  CHECK((*fdb)[0].dst == f.dst);
  // Moved: replace points the MAC at another node.
  f.dst = *parse_ipv4("192.168.9.3");
  require_ok(cn->set_fdb(vx->index, f));
  fdb = cn->fdb(vx->index);
  REQUIRE(fdb->size() == 1);
  CHECK((*fdb)[0].dst == f.dst);
  auto neigh = cn->neighbours(vx->index);
  require_ok(neigh);
  REQUIRE(neigh->size() == 1);
  CHECK((*neigh)[0].ip == peer_ip);
  CHECK((*neigh)[0].mac == f.mac);
  require_ok(cn->delete_fdb(vx->index, f));
  require_ok(cn->delete_fdb(vx->index, f)); // missing: fine
  require_ok(cn->delete_neighbour(vx->index, peer_ip));
  require_ok(cn->delete_neighbour(vx->index, peer_ip));
  CHECK(cn->fdb(vx->index)->empty());
  CHECK(cn->neighbours(vx->index)->empty());
}
