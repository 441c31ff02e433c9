// Cluster: the control plane of networks through the real daemon and CLI:
// `swarm init` with its ingress network and address pool, `network create|
// ls|inspect|rm` with every bad input refused and nothing changed, and
// `service create --network --publish` (ports, in-use checks). The data
// plane (namespaces, VXLAN, the routing mesh) has its own tests.

#include "cluster/cluster_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace actorswarm::test;

namespace {

// `network ls` as text, for "nothing changed" checks.
std::string network_ls(const cluster_fixture& f) {
  auto r = f.cli({"network", "ls"});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// Runs a command that must fail; returns its stderr.
std::string refused(const cluster_fixture& f,
                    const std::vector<std::string>& args) {
  auto r = f.cli(args);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  return r.err;
}

} // namespace

TEST_CASE("cluster: networks are created, listed, inspected, used by "
          "services and removed, and bad input changes nothing",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  // setup: swarm init with its network settings
  auto init = f.cli({"swarm", "init", "--default-addr-pool", "10.20.0.0/16",
                     "--default-addr-pool-mask-length", "26",
                     "--data-path-port", "7789"});
  INFO(init.out << init.err << f.daemon_log());
  REQUIRE(init.exit_code == 0);
  // ingress is there from the start
  auto ls = network_ls(f);
  CHECK(ls.find("NETWORK ID     NAME      DRIVER    SCOPE\n") == 0);
  CHECK(ls.find("   ingress   overlay   swarm\n") != std::string::npos);
  auto in = f.cli({"network", "inspect", "ingress"});
  REQUIRE(in.exit_code == 0);
  auto ingress = nlohmann::json::parse(in.out);
  CHECK(ingress[0]["Ingress"] == true);
  CHECK(ingress[0]["IPAM"]["Config"][0]["Subnet"] == "10.0.0.0/24");
  // create
  auto created = f.cli({"network", "create", "-d", "overlay", "--subnet",
                        "10.30.1.0/24", "--gateway", "10.30.1.1", "--label",
                        "team=a", "appnet"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  auto id = created.out.substr(0, created.out.find('\n'));
  CHECK(id.size() == 25);
  REQUIRE(f.cli({"network", "create", "plain"}).exit_code == 0);
  auto before = network_ls(f);
  CHECK(before.find(id.substr(0, 12) + "   appnet    overlay   swarm\n")
        != std::string::npos);
  auto insp = f.cli({"network", "inspect", "appnet"});
  REQUIRE(insp.exit_code == 0);
  auto app = nlohmann::json::parse(insp.out);
  CHECK(app[0]["Id"] == id);
  CHECK(app[0]["Scope"] == "swarm");
  CHECK(app[0]["IPAM"]["Config"][0]["Gateway"] == "10.30.1.1");
  CHECK(app[0]["Labels"]["team"] == "a");
  // bad input: one error line each, nothing changed
  CHECK(refused(f, {"network", "create", "--subnet", "10.30.1.128/25", "x"})
        == "Error response from daemon: rpc error: code = InvalidArgument "
           "desc = ipam configuration: subnet 10.30.1.128/25 overlaps with "
           "subnet 10.30.1.0/24 of network appnet\n");
  CHECK(refused(f, {"network", "create", "--subnet", "10.40.0.0/33", "x"})
        == "Error response from daemon: rpc error: code = InvalidArgument "
           "desc = ipam configuration: invalid subnet 10.40.0.0/33\n");
  CHECK(refused(f, {"network", "create", "--subnet", "10.40.0.0/16",
                    "--gateway", "10.41.0.1", "x"})
        == "Error response from daemon: rpc error: code = InvalidArgument "
           "desc = ipam configuration: subnet 10.40.0.0/16 does not contain "
           "gateway 10.41.0.1\n");
  CHECK(refused(f, {"network", "create", "appnet"})
        == "Error response from daemon: network with name appnet already "
           "exists\n");
  CHECK(refused(f, {"network", "create", "-d", "bridge", "x"})
        == "Error response from daemon: network driver \"bridge\" is not "
           "supported: a swarm has only overlay networks (use -d overlay)\n");
  CHECK(network_ls(f) == before);
  // a service on appnet publishing 8000 -> 80
  auto svc = f.cli({"service", "create", "-d", "--name", "web", "--network",
                    "name=appnet,alias=www", "--publish", "8000:80",
                    "--hostname", "webhost", "host", "sleep", "3600"});
  INFO(svc.out << svc.err);
  REQUIRE(svc.exit_code == 0);
  auto svc_ls = f.cli({"service", "ls", "--format", "{{.Name}} {{.Ports}}"});
  CHECK(svc_ls.out == "web *:8000->80/tcp\n");
  auto si = f.cli({"service", "inspect", "web"});
  REQUIRE(si.exit_code == 0);
  auto web = nlohmann::json::parse(si.out);
  const auto& task = web[0]["Spec"]["TaskTemplate"];
  CHECK(task["Networks"][0]["Target"] == id);
  CHECK(task["Networks"][0]["Aliases"][0] == "www");
  CHECK(web[0]["Spec"]["EndpointSpec"]["Ports"][0]["PublishedPort"] == 8000);
  CHECK(task["ContainerSpec"]["Hostname"] == "webhost");
  auto pretty = f.cli({"service", "inspect", "--pretty", "web"});
  CHECK(pretty.out.find("Networks: appnet \n") != std::string::npos);
  // service bad input
  CHECK(refused(f, {"service", "create", "-d", "--name", "api", "--publish",
                    "8000:81", "host", "sleep", "3600"})
        == "Error response from daemon: rpc error: code = InvalidArgument "
           "desc = port '8000' is already in use by service 'web' ("
             + web[0]["ID"].get<std::string>() + ") as an ingress port\n");
  CHECK(refused(f, {"service", "create", "-d", "--name", "api", "--network",
                    "nope", "host", "sleep", "3600"})
        == "Error response from daemon: network nope not found\n");
  CHECK(refused(f, {"service", "create", "-d", "--name", "api", "--publish",
                    "published=70000,target=80", "host", "sleep", "3600"})
          .find("invalid published port (70000): value must be an integer: "
                "value out of range")
        != std::string::npos);
  CHECK(f.replicas_of("api").empty());
  // network rm: refused while in use, ingress too
  CHECK(refused(f, {"network", "rm", "appnet"})
        == "Error response from daemon: rpc error: code = FailedPrecondition "
           "desc = network "
             + id + " is in use by service " + web[0]["ID"].get<std::string>()
             + "\n");
  CHECK(refused(f, {"network", "rm", "ingress"})
        == "Error response from daemon: rpc error: code = FailedPrecondition "
           "desc = ingress network cannot be removed because service "
             + web[0]["ID"].get<std::string>() + " depends on it\n");
  CHECK(network_ls(f) == before);
  // update: off appnet, onto plain, another port
  auto up = f.cli({"service", "update", "-d", "--network-rm", "appnet",
                   "--network-add", "plain", "--publish-add", "9000:90",
                   "web"});
  INFO(up.out << up.err);
  REQUIRE(up.exit_code == 0);
  svc_ls = f.cli({"service", "ls", "--format", "{{.Ports}}"});
  CHECK(svc_ls.out == "*:8000->80/tcp, *:9000->90/tcp\n");
  // appnet is free now; after service rm, so is plain
  auto rm = f.cli({"network", "rm", "appnet"});
  INFO(rm.out << rm.err);
  CHECK(rm.exit_code == 0);
  CHECK(rm.out == "appnet\n");
  REQUIRE(f.cli({"service", "rm", "web"}).exit_code == 0);
  CHECK(f.cli({"network", "rm", "plain"}).exit_code == 0);
  ls = network_ls(f);
  CHECK(ls.find("appnet") == std::string::npos);
  CHECK(ls.find("plain") == std::string::npos);
  CHECK(ls.find("ingress") != std::string::npos);
}

TEST_CASE("cluster: swarm init refuses bad network settings and stays out "
          "of a swarm",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  CHECK(refused(f, {"swarm", "init", "--data-path-port", "80"})
        == "Error response from daemon: Datapath port number is not in valid "
           "range (1024-49151) : 80\n");
  CHECK(refused(f, {"swarm", "init", "--default-addr-pool", "10.0.0.0/16",
                    "--default-addr-pool-mask-length", "8"})
        == "Error response from daemon: invalid CIDR: \"10.0.0.0/16\". "
           "Subnet size is too small for pool: 8\n");
  CHECK(refused(f, {"network", "ls"}).find("not a swarm manager")
        != std::string::npos);
  CHECK(f.swarm_init());
}
