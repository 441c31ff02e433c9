#include "cli/network_spec.hpp"

#include <catch2/catch.hpp>

#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"
#include "cli/service_update.hpp"
#include "unit/cli/fake_daemon.hpp"

using namespace actorswarm;
using namespace actorswarm::cli;

namespace {

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

pb::Network network(const std::string& id, const std::string& name) {
  pb::Network n;
  n.set_id(id);
  n.mutable_spec()->set_name(name);
  n.mutable_spec()->set_driver("overlay");
  return n;
}

// A daemon that knows networks appnet (n1...) and backnet (n2...), and
// answers service inspect with service web on appnet.
test::fake_daemon with_networks() {
  test::fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_network_list()) {
      *r.add_networks() = network("n1aaaaaaaaaaaaaaaaaaaaaaaa", "appnet");
      *r.add_networks() = network("n2bbbbbbbbbbbbbbbbbbbbbbbb", "backnet");
    } else if (req.has_service_inspect()) {
      auto& s = *r.add_services()->mutable_service();
      s.set_id("s1");
      s.mutable_meta()->set_version(5);
      s.mutable_spec()->set_name("web");
      s.mutable_spec()->set_replicas(1);
      s.mutable_spec()->add_networks()->set_target(
        "n1aaaaaaaaaaaaaaaaaaaaaaaa");
      *s.mutable_spec()->mutable_endpoint()->add_ports() = port(8080, 80);
    }
    return std::vector<pb::ControlReply>{r};
  };
  return d;
}

} // namespace

TEST_CASE("cli network: --network values, short and long", "[unit]") {
  auto n = parse_network_opt("--network", "appnet");
  REQUIRE(n);
  CHECK(n->target() == "appnet");
  CHECK(n->aliases().empty());
  n = parse_network_opt("--network", "name=appnet,alias=www,alias=web");
  REQUIRE(n);
  CHECK(n->target() == "appnet");
  REQUIRE(n->aliases_size() == 2);
  CHECK(n->aliases(1) == "web");
  struct bad_case {
    std::string value, message;
  };
  for (auto& c : std::vector<bad_case>{
         {"alias=www",
          "invalid argument \"alias=www\" for \"--network\" flag: network "
          "name/id is not specified"},
         {"name=a,foo=b",
          "invalid argument \"name=a,foo=b\" for \"--network\" flag: invalid "
          "field key foo"},
         {"name=a,b",
          "invalid argument \"name=a,b\" for \"--network\" flag: invalid "
          "field b"},
         {"", "invalid argument \"\" for \"--network\" flag: network name/id "
              "is not specified"}}) {
    INFO(c.value);
    auto r = parse_network_opt("--network", c.value);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == c.message);
  }
}

TEST_CASE("cli network: --publish values, short and long", "[unit]") {
  struct ok_case {
    std::string value;
    uint32_t published, target;
    pb::PortConfig::Protocol proto;
    pb::PortConfig::PublishMode mode;
  };
  for (auto& c : std::vector<ok_case>{
         {"8000:80", 8000, 80, pb::PortConfig::TCP, pb::PortConfig::INGRESS},
         {"8000:80/udp", 8000, 80, pb::PortConfig::UDP,
          pb::PortConfig::INGRESS},
         {"80", 0, 80, pb::PortConfig::TCP, pb::PortConfig::INGRESS},
         {"53/udp", 0, 53, pb::PortConfig::UDP, pb::PortConfig::INGRESS},
         {"published=7080,target=80", 7080, 80, pb::PortConfig::TCP,
          pb::PortConfig::INGRESS},
         {"published=7080,target=80,protocol=udp,mode=host", 7080, 80,
          pb::PortConfig::UDP, pb::PortConfig::HOST},
         {"target=80", 0, 80, pb::PortConfig::TCP, pb::PortConfig::INGRESS}}) {
    INFO(c.value);
    auto p = parse_port_opt("-p, --publish", c.value);
    REQUIRE(p);
    CHECK(p->published_port() == c.published);
    CHECK(p->target_port() == c.target);
    CHECK(p->protocol() == c.proto);
    CHECK(p->publish_mode() == c.mode);
  }
  struct bad_case {
    std::string value, message;
  };
  std::string pre = "for \"-p, --publish\" flag: ";
  for (auto& c : std::vector<bad_case>{
         {"published=80", "missing mandatory field 'target'"},
         {"published=70000,target=80",
          "invalid published port (70000): value must be an integer: value "
          "out of range"},
         {"published=x,target=80",
          "invalid published port (x): value must be an integer: invalid "
          "syntax"},
         {"target=80,protocol=sctp", "invalid protocol value 'sctp'"},
         {"target=80,mode=bridge",
          "invalid publish mode value (bridge): must be either 'ingress' or "
          "'host'"},
         {"target=80,foo=1", "invalid field key: foo"},
         {"8000:70000", "invalid containerPort: 70000"},
         {"70000:80", "invalid hostPort: 70000"},
         {"8000:x", "invalid containerPort: x"},
         {"8000:80/sctp", "invalid proto: sctp"},
         {"127.0.0.1:8000:80", "hostip is not supported"},
         {"8000-8001:80-81",
          "port ranges are not supported: 8000-8001:80-81"}}) {
    INFO(c.value);
    auto p = parse_port_opt("-p, --publish", c.value);
    REQUIRE_FALSE(p);
    CHECK(p.error().message
          == "invalid argument \"" + c.value + "\" " + pre + c.message);
  }
  CHECK(*parse_endpoint_mode("dnsrr") == pb::EndpointSpec::DNSRR);
  CHECK(*parse_endpoint_mode("") == pb::EndpointSpec::VIP);
  auto m = parse_endpoint_mode("rr");
  REQUIRE_FALSE(m);
  CHECK(m.error().message == "invalid resolution mode: \"rr\"");
}

TEST_CASE("cli network: service create builds networks, ports, endpoint "
          "mode and hostname",
          "[unit]") {
  service_create_flags f;
  f.image = "host";
  f.command = {"sleep", "1"};
  f.networks = {"appnet", "name=backnet,alias=db"};
  f.publish = {"8000:80", "published=7053,target=53,protocol=udp,mode=host"};
  f.endpoint_mode = "dnsrr";
  f.hostname = "box";
  auto spec = build_service_spec(f);
  REQUIRE(spec);
  REQUIRE(spec->networks_size() == 2);
  CHECK(spec->networks(1).target() == "backnet");
  CHECK(spec->networks(1).aliases(0) == "db");
  REQUIRE(spec->endpoint().ports_size() == 2);
  CHECK(spec->endpoint().ports(1).publish_mode() == pb::PortConfig::HOST);
  CHECK(spec->endpoint().mode() == pb::EndpointSpec::DNSRR);
  CHECK(spec->task().container().hostname() == "box");
  f.publish = {"x:80"};
  auto bad = build_service_spec(f);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message
        == "invalid argument \"x:80\" for \"-p, --publish\" flag: invalid "
           "hostPort: x");
}

TEST_CASE("cli network: service update edits ports and networks as docker's "
          "updatePorts and updateNetworks",
          "[unit]") {
  pb::ServiceSpec spec;
  *spec.mutable_endpoint()->add_ports() = port(8080, 80);
  *spec.mutable_endpoint()->add_ports() = port(9090, 90);
  spec.add_networks()->set_target("n1");
  service_update_flags f;
  f.publish_rm = {"80"};
  f.publish_add = {"7000:70", "9090:90"};
  f.network_rm = {"appnet"};
  f.network_add = {"name=backnet,alias=db"};
  f.endpoint_mode = "dnsrr";
  f.hostname = "h";
  CHECK_FALSE(update_is_empty(f));
  auto resolve = [](const std::string& ref) -> result<std::string> {
    if (ref == "appnet")
      return std::string{"n1"};
    if (ref == "backnet")
      return std::string{"n2"};
    return fail(errc::not_found, "network " + ref + " not found");
  };
  REQUIRE(apply_service_update(f, spec, resolve));
  auto& ports = spec.endpoint().ports();
  REQUIRE(ports.size() == 2);
  CHECK(ports[0].published_port() == 7000);
  CHECK(ports[1].published_port() == 9090);
  REQUIRE(spec.networks_size() == 1);
  CHECK(spec.networks(0).target() == "n2");
  CHECK(spec.networks(0).aliases(0) == "db");
  CHECK(spec.endpoint().mode() == pb::EndpointSpec::DNSRR);
  CHECK(spec.task().container().hostname() == "h");
  // Adding a network it is on already, or an unknown one, is refused.
  service_update_flags again;
  again.network_add = {"backnet"};
  auto st = apply_service_update(again, spec, resolve);
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "service is already attached to network backnet");
  service_update_flags unknown;
  unknown.network_rm = {"nope"};
  st = apply_service_update(unknown, spec, resolve);
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "network nope not found");
}

TEST_CASE("cli network: service ls PORTS in docker's form", "[unit]") {
  google::protobuf::RepeatedPtrField<pb::PortConfig> ps;
  CHECK(ports_text(ps).empty());
  *ps.Add() = port(7080, 80);
  CHECK(ports_text(ps) == "*:7080->80/tcp");
  *ps.Add() = port(7081, 81);
  CHECK(ports_text(ps) == "*:7080-7081->80-81/tcp");
  *ps.Add() = port(53, 53, pb::PortConfig::INGRESS, pb::PortConfig::UDP);
  *ps.Add() = port(9000, 90, pb::PortConfig::HOST);
  *ps.Add() = port(0, 99);
  CHECK(ports_text(ps)
        == "*:7080-7081->80-81/tcp, *:53->53/udp, *:9000->90/tcp");
  // docker: 80->80, 81->81, 82->80 is two ranges.
  google::protobuf::RepeatedPtrField<pb::PortConfig> qs;
  *qs.Add() = port(80, 80);
  *qs.Add() = port(81, 81);
  *qs.Add() = port(82, 80);
  CHECK(ports_text(qs) == "*:80-81->80-81/tcp, *:82->80/tcp");
  // The allocated endpoint wins over the spec.
  pb::Service s;
  *s.mutable_spec()->mutable_endpoint()->add_ports() = port(0, 80);
  CHECK(ports_text(service_ports(s)).empty());
  *s.mutable_endpoint()->add_ports() = port(30001, 80);
  CHECK(ports_text(service_ports(s)) == "*:30001->80/tcp");
}

TEST_CASE("cli network: network create, ls, inspect and rm", "[unit]") {
  test::fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_network_create())
      r.set_text("n9xxxxxxxxxxxxxxxxxxxxxxxx");
    if (req.has_network_list() || req.has_network_inspect()) {
      auto n = network("n1aaaaaaaaaaaaaaaaaaaaaaaa", "appnet");
      n.mutable_meta()->set_created_at_ns(1'700'000'000'250'000'000);
      n.mutable_spec()->mutable_ipam()->set_subnet("10.0.1.0/24");
      n.mutable_ipam()->set_subnet("10.0.1.0/24");
      n.mutable_ipam()->set_gateway("10.0.1.1");
      n.set_vni(4097);
      (*n.mutable_spec()->mutable_labels())["team"] = "a";
      *r.add_networks() = n;
      auto in = network("n0cccccccccccccccccccccccc", "ingress");
      in.mutable_spec()->set_ingress(true);
      if (req.has_network_list())
        *r.add_networks() = in;
    }
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"network", "create", "-d", "overlay", "--subnet",
                 "10.0.1.0/24", "--gateway", "10.0.1.1", "--internal",
                 "--label", "team=a", "appnet"})
          == 0);
  CHECK(d.out.str() == "n9xxxxxxxxxxxxxxxxxxxxxxxx\n");
  REQUIRE(d.requests.size() == 1);
  auto& spec = d.requests[0].network_create().spec();
  CHECK(spec.name() == "appnet");
  CHECK(spec.driver() == "overlay");
  CHECK(spec.ipam().subnet() == "10.0.1.0/24");
  CHECK(spec.ipam().gateway() == "10.0.1.1");
  CHECK(spec.internal());
  CHECK(spec.labels().at("team") == "a");
  d.out.str("");
  REQUIRE(d.run({"network", "ls"}) == 0);
  CHECK(d.out.str()
        == "NETWORK ID     NAME      DRIVER    SCOPE\n"
           "n1aaaaaaaaaa   appnet    overlay   swarm\n"
           "n0cccccccccc   ingress   overlay   swarm\n");
  d.out.str("");
  REQUIRE(d.run({"network", "inspect", "--format",
                 "{{.Name}} {{.Scope}} {{.Created}}", "appnet"})
          == 0);
  CHECK(d.out.str() == "appnet swarm 2023-11-14T22:13:20.25Z\n");
  d.out.str("");
  REQUIRE(d.run({"network", "inspect", "appnet"}) == 0);
  auto json = nlohmann::json::parse(d.out.str());
  REQUIRE(json.size() == 1);
  CHECK(json[0]["Id"] == "n1aaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(json[0]["Driver"] == "overlay");
  CHECK(json[0]["Ingress"] == false);
  CHECK(json[0]["IPAM"]["Config"][0]["Subnet"] == "10.0.1.0/24");
  CHECK(json[0]["IPAM"]["Config"][0]["Gateway"] == "10.0.1.1");
  CHECK(json[0]["Labels"]["team"] == "a");
  CHECK(json[0]["Options"]["com.docker.network.driver.overlay.vxlanid_list"]
        == "4097");
  d.out.str("");
  REQUIRE(d.run({"network", "rm", "appnet", "backnet"}) == 0);
  CHECK(d.out.str() == "appnet\nbacknet\n");
  CHECK(d.requests.back().network_remove().refs(0) == "backnet");
  // Usage errors: no name, two subnets.
  d.err.str("");
  CHECK(d.run({"network", "create"}) == 1);
  CHECK(d.err.str().find("\"actorswarm network create\" requires exactly 1 "
                         "argument.")
        != std::string::npos);
}

TEST_CASE("cli network: a refused network rm prints the daemon's error",
          "[unit]") {
  test::fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    r.set_code(static_cast<uint32_t>(errc::refused));
    r.set_error("rpc error: code = FailedPrecondition desc = network n1 is "
                "in use by service s1");
    return std::vector<pb::ControlReply>{r};
  };
  CHECK(d.run({"network", "rm", "appnet"}) == 1);
  CHECK(d.err.str()
        == "Error response from daemon: rpc error: code = FailedPrecondition "
           "desc = network n1 is in use by service s1\n");
}

TEST_CASE("cli network: swarm init sends the address pool and data path "
          "port",
          "[unit]") {
  test::fake_daemon d;
  d.run({"swarm", "init", "--default-addr-pool", "10.20.0.0/16",
         "--default-addr-pool", "10.30.0.0/16",
         "--default-addr-pool-mask-length", "26", "--data-path-port", "7789"});
  REQUIRE(d.requests.size() == 1);
  auto& init = d.requests[0].swarm_init();
  REQUIRE(init.default_addr_pool_size() == 2);
  CHECK(init.default_addr_pool(1) == "10.30.0.0/16");
  CHECK(init.subnet_size() == 26);
  CHECK(init.data_path_port() == 7789);
  test::fake_daemon bad;
  CHECK(bad.run({"swarm", "init", "--data-path-port", "x"}) == 1);
  CHECK(bad.requests.empty());
}

TEST_CASE("cli network: service update resolves --network-add/rm by name "
          "and service inspect --pretty names the networks",
          "[unit]") {
  auto d = with_networks();
  REQUIRE(d.run({"service", "update", "-d", "--network-rm", "appnet",
                 "--network-add", "backnet", "--publish-add", "9000:90", "web"})
          == 0);
  const pb::ServiceUpdateRequest* up = nullptr;
  for (auto& r : d.requests)
    if (r.has_service_update())
      up = &r.service_update();
  REQUIRE(up != nullptr);
  REQUIRE(up->spec().networks_size() == 1);
  CHECK(up->spec().networks(0).target() == "n2bbbbbbbbbbbbbbbbbbbbbbbb");
  CHECK(up->spec().endpoint().ports_size() == 2);
  auto e = with_networks();
  REQUIRE(e.run({"service", "inspect", "--pretty", "web"}) == 0);
  auto text = e.out.str();
  CHECK(text.find("Networks: appnet \n") != std::string::npos);
  CHECK(text.find("Endpoint Mode:\tvip\n") != std::string::npos);
  CHECK(text.find("Ports:\n PublishedPort = 8080\n  Protocol = tcp\n  "
                  "TargetPort = 80\n  PublishMode = ingress\n")
        != std::string::npos);
  auto f = with_networks();
  CHECK(f.run({"service", "update", "-d", "--network-add", "nope", "web"})
        == 1);
  CHECK(f.err.str() == "Error response from daemon: network nope not found\n");
}
