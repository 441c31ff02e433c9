// The network plane's conversions (network_plane.hpp): an assignments'
// network part to overlay and VIP state.

#include "actors/network/network_plane.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using namespace actorswarm::network;

namespace {

pb::NodeNetwork nn(const std::string& id, const std::string& subnet,
                   const std::string& gateway) {
  pb::NodeNetwork x;
  x.mutable_network()->set_id(id);
  x.mutable_network()->set_vni(7);
  x.mutable_network()->mutable_ipam()->set_subnet(subnet);
  x.mutable_network()->mutable_ipam()->set_gateway(gateway);
  return x;
}

} // namespace

TEST_CASE("needs_of converts networks, peers and VIPs", "[unit]") {
  google::protobuf::RepeatedPtrField<pb::NodeNetwork> xs;
  auto& a = *xs.Add() = nn("a", "10.0.1.0/24", "");
  auto& p = *a.add_peers();
  p.set_address("10.0.1.5/24");
  p.set_node_addr("192.168.1.2");
  auto& bad = *a.add_peers();
  bad.set_address("10.0.1.6/24");
  bad.set_node_addr("fd00::1");
  auto& s = *a.add_services();
  s.set_vip("10.0.1.2/24");
  s.add_backends("10.0.1.5/24");
  s.add_backends("10.0.1.5/24");
  auto& rr = *a.add_services();
  rr.add_backends("10.0.1.7/24"); // dnsrr: no VIP rule
  *xs.Add() = nn("b", "not a subnet", "");
  *xs.Add() = nn("c", "10.0.3.0/24", "10.0.3.254/24");
  std::vector<std::string> warnings;
  auto needs = needs_of(xs, warnings);
  CHECK(warnings.size() == 2); // the IPv6 node, network b
  REQUIRE(needs.count("a") == 1);
  CHECK(needs.count("b") == 0);
  auto& na = needs.at("a");
  CHECK(os::to_string(na.desc.gateway) == "10.0.1.1");
  REQUIRE(na.peers.size() == 1);
  CHECK(os::to_string(na.peers[0].node_ip) == "192.168.1.2");
  REQUIRE(na.vips.size() == 1);
  CHECK(na.vips[0].vip == "10.0.1.2");
  CHECK(na.vips[0].backends == std::vector<std::string>{"10.0.1.5"});
  CHECK(os::to_string(needs.at("c").desc.gateway) == "10.0.3.254");
  auto vs = vip_state_of(needs, {"a", "c", "missing"});
  CHECK(vs.services.size() == 1);
}
