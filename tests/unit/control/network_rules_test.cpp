#include "actors/control/network_rules.hpp"

#include <catch2/catch.hpp>

#include <functional>

#include "actors/control/control_logic.hpp"
#include "actors/control/service_rules.hpp"
#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_spec;
using actorswarm::test::now_ns;
using actorswarm::test::refusal;
using actorswarm::test::view_builder;

namespace {

std::mt19937_64 seeded() {
  return std::mt19937_64{7};
}

pb::Network make_network(const std::string& id, const std::string& name,
                         const std::string& subnet = "") {
  pb::Network n;
  n.set_id(id);
  n.mutable_spec()->set_name(name);
  n.mutable_spec()->set_driver("overlay");
  n.mutable_spec()->mutable_ipam()->set_subnet(subnet);
  return n;
}

pb::NetworkSpec net_spec(const std::string& name,
                         const std::string& subnet = "",
                         const std::string& gateway = "") {
  pb::NetworkSpec s;
  s.set_name(name);
  s.mutable_ipam()->set_subnet(subnet);
  s.mutable_ipam()->set_gateway(gateway);
  return s;
}

pb::PortConfig port(uint32_t published, uint32_t target,
                    pb::PortConfig::PublishMode mode = pb::PortConfig::INGRESS,
                    pb::PortConfig::Protocol proto = pb::PortConfig::TCP) {
  pb::PortConfig p;
  p.set_published_port(published);
  p.set_target_port(target);
  p.set_publish_mode(mode);
  p.set_protocol(proto);
  return p;
}

pb::ServiceSpec publishing(const std::string& name,
                           std::vector<pb::PortConfig> ports) {
  auto s = make_spec(name, 1);
  for (auto& p : ports)
    *s.mutable_endpoint()->add_ports() = p;
  return s;
}

pb::ServiceSpec on_network(const std::string& name, const std::string& net) {
  auto s = make_spec(name, 1);
  s.add_networks()->set_target(net);
  return s;
}

// A swarm as `swarm init` leaves it (ingress n0) plus `appnet` (n1,
// 10.0.1.0/24) and `backnet` (n2, allocated 10.0.2.0/24).
view_builder swarm() {
  view_builder b;
  b.add(make_ingress_network("n0"));
  b.add(make_network("n1", "appnet", "10.0.1.0/24"));
  auto back = make_network("n2", "backnet");
  back.mutable_ipam()->set_subnet("10.0.2.0/24");
  b.add(back);
  return b;
}

} // namespace

TEST_CASE("network rules: IPv4 addresses and prefixes parse as Go's net "
          "package does",
          "[unit]") {
  CHECK(parse_ipv4("10.0.1.1") == 0x0a000101u);
  CHECK(parse_ipv4("255.255.255.255") == 0xffffffffu);
  for (auto bad : {"", "10.0.1", "10.0.1.1.1", "10.0.1.256", "10.0.01.1",
                   "a.b.c.d", "10.0.1.1 ", "1..2.3"})
    CHECK_FALSE(parse_ipv4(bad));
  auto p = parse_cidr("10.0.1.7/24");
  REQUIRE(p);
  CHECK(to_string(*p) == "10.0.1.0/24");
  CHECK(parse_cidr("0.0.0.0/0"));
  for (auto bad : {"10.0.1.0", "10.0.1.0/33", "10.0.1.0/", "10.0.1.0/2x",
                   "10.0.1/24", "10.0.1.0/024"})
    CHECK_FALSE(parse_cidr(bad));
  CHECK(contains(*p, *parse_ipv4("10.0.1.254")));
  CHECK_FALSE(contains(*p, *parse_ipv4("10.0.2.1")));
  CHECK(overlaps(*parse_cidr("10.0.0.0/8"), *p));
  CHECK(overlaps(*p, *parse_cidr("10.0.0.0/8")));
  CHECK_FALSE(overlaps(*parse_cidr("10.0.2.0/24"), *p));
}

TEST_CASE("network rules: network create stores an overlay network, with "
          "or without a subnet",
          "[unit]") {
  auto b = swarm();
  auto gen = seeded();
  auto spec = net_spec("web", "10.1.0.0/16", "10.1.0.1");
  (*spec.mutable_labels())["team"] = "a";
  spec.set_internal(true);
  auto d = create_network(b.view(), spec, gen, now_ns);
  REQUIRE(d);
  auto& a = d->batch.actions(0);
  CHECK(a.kind() == pb::StoreAction::CREATE);
  CHECK(a.network().spec().driver() == "overlay");
  CHECK(a.network().spec().internal());
  CHECK(a.network().spec().labels().at("team") == "a");
  CHECK(d->ok.text() == a.network().id());
  b.apply(d->batch);
  CHECK(b.view().network_by_name("web") != nullptr);
  // Without --subnet: the allocator picks one later.
  auto d2 = create_network(b.view(), net_spec("plain"), gen, now_ns);
  REQUIRE(d2);
  CHECK(d2->batch.actions(0).network().spec().ipam().subnet().empty());
}

TEST_CASE("network rules: network create refuses bad input with one clear "
          "error and changes nothing",
          "[unit]") {
  struct bad_case {
    const char* what;
    pb::NetworkSpec spec;
    errc code;
    std::string message;
  };
  auto with_driver = [](std::string d) {
    auto s = net_spec("x");
    s.set_driver(d);
    return s;
  };
  auto second_ingress = net_spec("ingress2");
  second_ingress.set_ingress(true);
  std::vector<bad_case> cases = {
    {"invalid subnet", net_spec("x", "10.0.0.0/33"), errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: invalid "
     "subnet 10.0.0.0/33"},
    {"not a CIDR", net_spec("x", "nope"), errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: invalid "
     "subnet nope"},
    {"invalid gateway", net_spec("x", "10.5.0.0/16", "10.5.0"),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: invalid "
     "gateway 10.5.0"},
    {"gateway outside its subnet", net_spec("x", "10.5.0.0/16", "10.6.0.1"),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: subnet "
     "10.5.0.0/16 does not contain gateway 10.6.0.1"},
    {"gateway without subnet", net_spec("x", "", "10.6.0.1"),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: gateway "
     "10.6.0.1 needs a --subnet"},
    {"subnet overlapping a given one", net_spec("x", "10.0.1.128/25"),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: subnet "
     "10.0.1.128/25 overlaps with subnet 10.0.1.0/24 of network appnet"},
    {"subnet overlapping an allocated one", net_spec("x", "10.0.2.0/23"),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: subnet "
     "10.0.2.0/23 overlaps with subnet 10.0.2.0/24 of network backnet"},
    {"subnet holding ingress's", net_spec("x", "10.0.0.0/16"),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = ipam configuration: subnet "
     "10.0.0.0/16 overlaps with subnet 10.0.1.0/24 of network appnet"},
    {"duplicate name", net_spec("appnet"), errc::name_conflict,
     "network with name appnet already exists"},
    {"bridge driver", with_driver("bridge"), errc::invalid_spec,
     "network driver \"bridge\" is not supported: a swarm has only overlay "
     "networks (use -d overlay)"},
    {"host driver", with_driver("host"), errc::invalid_spec,
     "network driver \"host\" is not supported: a swarm has only overlay "
     "networks (use -d overlay)"},
    {"predefined name", net_spec("bridge"), errc::invalid_spec,
     "bridge is a pre-defined network and cannot be created"},
    {"bad name", net_spec("-x"), errc::invalid_spec,
     "invalid network name \"-x\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
     "allowed, up to 63 characters"},
    {"empty name", net_spec(""), errc::invalid_spec,
     "invalid network name \"\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
     "allowed, up to 63 characters"},
    {"second ingress", second_ingress, errc::name_conflict,
     "rpc error: code = AlreadyExists desc = ingress network (n0) is already "
     "present"},
  };
  for (auto& c : cases) {
    INFO(c.what);
    auto b = swarm();
    auto before = b.view().snapshot().SerializeAsString();
    auto gen = seeded();
    auto d = create_network(b.view(), c.spec, gen, now_ns);
    auto f = refusal(d);
    CHECK(f.code == c.code);
    CHECK(f.message == c.message);
    CHECK(b.view().snapshot().SerializeAsString() == before);
  }
}

TEST_CASE("network rules: network rm refuses a network in use, and ingress "
          "while a service publishes in ingress mode",
          "[unit]") {
  auto b = swarm();
  b.add(test::make_service("s1", on_network("web", "n1")));
  b.add(test::make_service(
    "s2", publishing("edge", {port(8080, 80, pb::PortConfig::INGRESS)})));
  auto before = b.view().snapshot().SerializeAsString();
  pb::NetworkRemoveRequest rm;
  rm.add_refs("appnet");
  auto f = refusal(remove_networks(b.view(), rm, now_ns));
  CHECK(f.code == errc::refused);
  CHECK(f.message
        == "rpc error: code = FailedPrecondition desc = network n1 is in use "
           "by service s1");
  rm.set_refs(0, "ingress");
  f = refusal(remove_networks(b.view(), rm, now_ns));
  CHECK(f.code == errc::refused);
  CHECK(f.message
        == "rpc error: code = FailedPrecondition desc = ingress network "
           "cannot be removed because service s2 depends on it");
  rm.set_refs(0, "nope");
  f = refusal(remove_networks(b.view(), rm, now_ns));
  CHECK(f.code == errc::not_found);
  CHECK(f.message == "network nope not found");
  // All or nothing: an unused network named with a used one stays.
  rm.set_refs(0, "backnet");
  rm.add_refs("appnet");
  CHECK(refusal(remove_networks(b.view(), rm, now_ns)).code == errc::refused);
  CHECK(b.view().snapshot().SerializeAsString() == before);
  // Unused: removed.
  rm.clear_refs();
  rm.add_refs("backnet");
  auto d = remove_networks(b.view(), rm, now_ns);
  REQUIRE(d);
  b.apply(d->batch);
  CHECK(b.view().network_by_name("backnet") == nullptr);
}

TEST_CASE("network rules: ingress can be removed when no service publishes "
          "in ingress mode",
          "[unit]") {
  auto b = swarm();
  b.add(test::make_service("s1",
                           publishing("hostmode",
                                      {port(8080, 80, pb::PortConfig::HOST)})));
  pb::NetworkRemoveRequest rm;
  rm.add_refs("ingress");
  auto d = remove_networks(b.view(), rm, now_ns);
  REQUIRE(d);
  b.apply(d->batch);
  CHECK(ingress_network(b.view()) == nullptr);
}

TEST_CASE("network rules: network ls and inspect answer from the view",
          "[unit]") {
  auto b = swarm();
  auto ls = list_networks(b.view());
  REQUIRE(ls.networks_size() == 3);
  CHECK(ls.networks(0).spec().name() == "appnet");
  CHECK(ls.networks(1).spec().name() == "backnet");
  CHECK(ls.networks(2).spec().name() == "ingress");
  pb::NetworkInspectRequest in;
  in.add_refs("ingress");
  in.add_refs("n1");
  auto r = inspect_networks(b.view(), in);
  REQUIRE(r);
  REQUIRE(r->networks_size() == 2);
  CHECK(r->networks(0).spec().ingress());
  CHECK(r->networks(0).spec().ipam().subnet() == "10.0.0.0/24");
  CHECK(r->networks(1).spec().name() == "appnet");
  in.add_refs("nope");
  auto f = refusal(inspect_networks(b.view(), in));
  CHECK(f.code == errc::not_found);
  CHECK(f.message == "No such network: nope");
  // Through the control logic's read path too.
  pb::ControlRequest req;
  req.mutable_network_list();
  CHECK(is_read(req));
  CHECK(answer_read(b.view(), req, "self").networks_size() == 3);
}

TEST_CASE("network rules: swarm init's network settings take Docker's "
          "defaults and refuse Docker's bad values",
          "[unit]") {
  pb::SwarmInitRequest req;
  pb::ClusterSpec spec;
  REQUIRE(apply_network_settings(req, spec));
  REQUIRE(spec.default_addr_pool_size() == 1);
  CHECK(spec.default_addr_pool(0) == "10.0.0.0/8");
  CHECK(spec.subnet_size() == 24);
  CHECK(spec.data_path_port() == 4789);
  req.add_default_addr_pool("10.20.0.0/16");
  req.add_default_addr_pool("192.168.0.5/16");
  req.set_subnet_size(26);
  req.set_data_path_port(7789);
  REQUIRE(apply_network_settings(req, spec));
  REQUIRE(spec.default_addr_pool_size() == 2);
  CHECK(spec.default_addr_pool(1) == "192.168.0.0/16");
  CHECK(spec.subnet_size() == 26);
  CHECK(spec.data_path_port() == 7789);
  struct bad_case {
    const char* what;
    std::function<void(pb::SwarmInitRequest&)> edit;
    std::string message;
  };
  std::vector<bad_case> cases = {
    {"mask too long", [](auto& r) { r.set_subnet_size(30); },
     "subnet size is out of range: 30"},
    {"mask shorter than the pool",
     [](auto& r) {
       r.add_default_addr_pool("10.0.0.0/16");
       r.set_subnet_size(12);
     },
     "invalid CIDR: \"10.0.0.0/16\". Subnet size is too small for pool: 12"},
    {"bad pool", [](auto& r) { r.add_default_addr_pool("10.0.0.0/40"); },
     "invalid base pool 10.0.0.0/40: invalid CIDR address: 10.0.0.0/40"},
    {"port too low", [](auto& r) { r.set_data_path_port(80); },
     "Datapath port number is not in valid range (1024-49151) : 80"},
    {"port too high", [](auto& r) { r.set_data_path_port(49152); },
     "Datapath port number is not in valid range (1024-49151) : 49152"},
  };
  for (auto& c : cases) {
    INFO(c.what);
    pb::SwarmInitRequest r;
    c.edit(r);
    pb::ClusterSpec s;
    auto st = apply_network_settings(r, s);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == errc::invalid_spec);
    CHECK(st.error().message == c.message);
  }
  auto in = make_ingress_network("n0");
  CHECK(in.spec().name() == "ingress");
  CHECK(in.spec().ingress());
  CHECK(in.spec().driver() == "overlay");
  CHECK(in.spec().ipam().subnet() == "10.0.0.0/24");
  CHECK(in.spec().ipam().gateway() == "10.0.0.1");
}

TEST_CASE("network rules: service create resolves --network to ids and "
          "keeps the aliases",
          "[unit]") {
  auto b = swarm();
  auto gen = seeded();
  auto spec = on_network("web", "appnet");
  spec.mutable_networks(0)->add_aliases("www");
  spec.add_networks()->set_target("n2");
  auto d = create_service(b.view(), spec, gen, now_ns);
  REQUIRE(d);
  auto& s = d->batch.actions(0).service().spec();
  REQUIRE(s.networks_size() == 2);
  CHECK(s.networks(0).target() == "n1");
  CHECK(s.networks(0).aliases(0) == "www");
  CHECK(s.networks(1).target() == "n2");
  CHECK(needs_ingress(publishing("x", {port(80, 80)})));
  CHECK_FALSE(needs_ingress(publishing("x",
                                       {port(80, 80, pb::PortConfig::HOST)})));
}

TEST_CASE("network rules: service create and update refuse bad networks "
          "and ports with one clear error and change nothing",
          "[unit]") {
  struct bad_case {
    const char* what;
    pb::ServiceSpec spec;
    errc code;
    std::string message;
  };
  auto dnsrr = publishing("x", {port(9000, 80)});
  dnsrr.mutable_endpoint()->set_mode(pb::EndpointSpec::DNSRR);
  auto twice = on_network("x", "appnet");
  twice.add_networks()->set_target("n1");
  std::vector<bad_case> cases = {
    {"unknown network", on_network("x", "nope"), errc::not_found,
     "network nope not found"},
    {"ingress named", on_network("x", "ingress"), errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = Service cannot be explicitly "
     "attached to the ingress network \"ingress\""},
    {"a network twice", twice, errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = duplicate network attachment: "
     "network appnet is named twice"},
    {"dnsrr with an ingress port", dnsrr, errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = EndpointSpec: port published "
     "with ingress mode can't be used with dnsrr mode"},
    {"a published port twice",
     publishing("x", {port(9000, 80), port(9000, 81)}), errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = EndpointSpec: duplicate "
     "published ports provided"},
    {"target port 0", publishing("x", {port(9000, 0)}), errc::invalid_spec,
     "invalid target port 0: ports are 1-65535"},
    {"target port out of range", publishing("x", {port(9000, 70000)}),
     errc::invalid_spec, "invalid target port 70000: ports are 1-65535"},
    {"published port out of range", publishing("x", {port(65536, 80)}),
     errc::invalid_spec, "invalid published port 65536: ports are 1-65535"},
    {"an ingress port another service holds", publishing("x", {port(8080, 80)}),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = port '8080' is already in use "
     "by service 'edge' (s2) as an ingress port"},
    // SwarmKit names the mode of the port the other service holds.
    {"a host port another service holds in ingress mode",
     publishing("x", {port(8080, 80, pb::PortConfig::HOST)}),
     errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = port '8080' is already in use "
     "by service 'edge' (s2) as an ingress port"},
    {"an ingress port another service holds in host mode",
     publishing("x", {port(7000, 80)}), errc::invalid_spec,
     "rpc error: code = InvalidArgument desc = port '7000' is already in use "
     "by service 'hostmode' (s3) as a host-published port"},
  };
  for (auto& c : cases) {
    for (bool update : {false, true}) {
      INFO(c.what << (update ? " (update)" : " (create)"));
      auto b = swarm();
      b.add(test::make_service("s1", make_spec("web", 1)));
      b.add(test::make_service("s2", publishing("edge", {port(8080, 80)})));
      b.add(test::make_service(
        "s3", publishing("hostmode", {port(7000, 80, pb::PortConfig::HOST)})));
      auto before = b.view().snapshot().SerializeAsString();
      auto gen = seeded();
      failure f;
      if (update) {
        pb::ServiceUpdateRequest req;
        req.set_ref("web");
        *req.mutable_spec() = c.spec;
        req.mutable_spec()->set_name("web");
        f = refusal(update_service(b.view(), req, now_ns));
      } else {
        f = refusal(create_service(b.view(), c.spec, gen, now_ns));
      }
      CHECK(f.code == c.code);
      CHECK(f.message == c.message);
      CHECK(b.view().snapshot().SerializeAsString() == before);
    }
  }
}

TEST_CASE("network rules: ports that do not conflict are allowed", "[unit]") {
  auto b = swarm();
  b.add(test::make_service("s2", publishing("edge", {port(8080, 80)})));
  b.add(test::make_service("s3",
                           publishing("hostmode",
                                      {port(7000, 80, pb::PortConfig::HOST)})));
  auto gen = seeded();
  // Same number, other protocol; host mode next to host mode; unnamed ports;
  // dnsrr with a host-mode port.
  auto udp = publishing("udp", {port(8080, 80, pb::PortConfig::INGRESS,
                                     pb::PortConfig::UDP)});
  CHECK(create_service(b.view(), udp, gen, now_ns));
  CHECK(create_service(b.view(),
                       publishing("h2", {port(7000, 80, pb::PortConfig::HOST)}),
                       gen, now_ns));
  CHECK(create_service(b.view(), publishing("auto", {port(0, 80), port(0, 81)}),
                       gen, now_ns));
  auto dnsrr = publishing("dnsrr", {port(7001, 80, pb::PortConfig::HOST)});
  dnsrr.mutable_endpoint()->set_mode(pb::EndpointSpec::DNSRR);
  CHECK(create_service(b.view(), dnsrr, gen, now_ns));
  // An update keeps its own ports.
  pb::ServiceUpdateRequest req;
  req.set_ref("edge");
  *req.mutable_spec() = publishing("edge", {port(8080, 80), port(8081, 81)});
  CHECK(update_service(b.view(), req, now_ns));
}

TEST_CASE("network rules: a service publishing in ingress mode needs the "
          "ingress network",
          "[unit]") {
  view_builder b;
  auto gen = seeded();
  auto f = refusal(create_service(b.view(), publishing("x", {port(80, 80)}),
                                  gen, now_ns));
  CHECK(f.code == errc::invalid_spec);
  CHECK(f.message
        == "rpc error: code = FailedPrecondition desc = service needs ingress "
           "network, but no ingress network is present");
  CHECK(create_service(b.view(),
                       publishing("y", {port(80, 80, pb::PortConfig::HOST)}),
                       gen, now_ns));
}
