// Compose files -> specs, field by field: the issue's example and a file
// with every key stack deploy reads (tests/data/compose/).

#include "cli/compose/convert.hpp"

#include <catch2/catch.hpp>

#include <map>

#include "cli/compose/compose.hpp"
#include "cli/compose/reader.hpp"

using namespace actorswarm;
using namespace actorswarm::cli::compose;

namespace {

const std::string data = AS_COMPOSE_DATA;

env_lookup env_of(std::map<std::string, std::string> xs) {
  return [xs](const std::string& k) -> std::optional<std::string> {
    auto it = xs.find(k);
    if (it == xs.end())
      return std::nullopt;
    return it->second;
  };
}

stack_objects convert_files(const std::vector<std::string>& files,
                            const env_lookup& env, const std::string& stack) {
  auto c = load(files, env);
  INFO((c ? "" : c.error().message));
  REQUIRE(c);
  auto objs = convert(*c, stack);
  INFO((objs ? "" : objs.error().message));
  REQUIRE(objs);
  return *objs;
}

std::vector<std::string>
list(const google::protobuf::RepeatedPtrField<std::string>& xs) {
  return {xs.begin(), xs.end()};
}

} // namespace

TEST_CASE("compose convert: the issue's example deploys as the issue says",
          "[unit]") {
  auto objs = convert_files({data + "/docker-swarm.yml"}, env_lookup{},
                            "myservice");
  REQUIRE(objs.networks.size() == 1);
  auto& net = objs.networks[0];
  CHECK(net.name() == "myservice_default");
  CHECK(net.driver() == "overlay");
  CHECK(net.labels().at("com.docker.stack.namespace") == "myservice");
  CHECK(objs.external_networks.empty());
  REQUIRE(objs.services.size() == 1);
  auto& s = objs.services[0];
  CHECK(s.name() == "myservice_web");
  CHECK(s.labels().at("com.docker.stack.namespace") == "myservice");
  CHECK(s.labels().at("com.docker.stack.image") == "host");
  CHECK(s.mode() == pb::ServiceSpec::REPLICATED);
  CHECK(s.replicas() == 3);
  auto& c = s.task().container();
  CHECK(c.image() == "host");
  CHECK(list(c.command())
        == std::vector<std::string>{"python3", "-m", "http.server", "80",
                                    "--directory", "/srv"});
  CHECK(c.labels().at("com.docker.stack.namespace") == "myservice");
  CHECK(c.stop_grace_period_ns() == 10'000'000'000);
  REQUIRE(c.mounts_size() == 1);
  CHECK(c.mounts(0).type() == pb::Mount::BIND);
  CHECK(c.mounts(0).source() == "/var/www/html");
  CHECK(c.mounts(0).target() == "/srv");
  CHECK_FALSE(c.mounts(0).read_only());
  auto& res = s.task().resources();
  CHECK(res.limits().nano_cpus() == 500'000'000);
  CHECK(res.limits().memory_bytes() == 256 * 1024 * 1024);
  CHECK_FALSE(res.has_reservations());
  auto& rp = s.task().restart();
  CHECK(rp.condition() == pb::RestartPolicy::ON_FAILURE);
  CHECK(rp.delay_ns() == 5'000'000'000);
  CHECK(rp.max_attempts() == 0);
  REQUIRE(s.endpoint().ports_size() == 1);
  auto& p = s.endpoint().ports(0);
  CHECK(p.target_port() == 80);
  CHECK(p.published_port() == 7080);
  CHECK(p.protocol() == pb::PortConfig::TCP);
  CHECK(p.publish_mode() == pb::PortConfig::INGRESS);
  REQUIRE(s.networks_size() == 1);
  CHECK(s.networks(0).target() == "myservice_default");
  CHECK(list(s.networks(0).aliases()) == std::vector<std::string>{"web"});
  CHECK_FALSE(s.has_update());
  CHECK_FALSE(c.has_healthcheck());
}

TEST_CASE("compose convert: every key of a full file", "[unit]") {
  auto c = load({data + "/full.yml"}, env_of({{"FROM_ENV", "e"}}));
  REQUIRE(c);
  CHECK(c->version == "3.9");
  CHECK(c->unsupported.empty());
  auto objs = convert(*c, "st");
  REQUIRE(objs);
  // Networks: the ones services use (worker names none: the stack's
  // default); back is external under its own name.
  REQUIRE(objs->networks.size() == 2);
  CHECK(objs->networks[0].name() == "st_default");
  auto& front = objs->networks[1];
  CHECK(front.name() == "st_front");
  CHECK(front.internal());
  CHECK(front.ipam().subnet() == "10.9.0.0/24");
  CHECK(front.labels().at("purpose") == "frontend");
  CHECK(front.labels().at("com.docker.stack.namespace") == "st");
  CHECK(objs->external_networks == std::vector<std::string>{"shared-back"});
  REQUIRE(objs->services.size() == 2);
  auto& web = objs->services[0];
  CHECK(web.name() == "st_web");
  auto& ct = web.task().container();
  CHECK(list(ct.command())
        == std::vector<std::string>{"/usr/bin/env", "python3", "-m",
                                    "http.server", "80"});
  CHECK(list(ct.env())
        == std::vector<std::string>{"FILE_VAR=from file", "FROM_ENV=e",
                                    "LITERAL=$HOME", "MODE=prod"});
  CHECK(ct.dir() == "/srv");
  CHECK(ct.user() == "1000:1000");
  CHECK(ct.hostname() == "web-host");
  CHECK(ct.labels().at("tier") == "front");
  CHECK(ct.stop_grace_period_ns() == 90'000'000'000);
  CHECK(list(ct.capability_add()) == std::vector<std::string>{"CAP_NET_ADMIN"});
  CHECK(list(ct.capability_drop()) == std::vector<std::string>{"CAP_MKNOD"});
  auto& hc = ct.healthcheck();
  CHECK(list(hc.test())
        == std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost/"});
  CHECK(hc.interval_ns() == 10'000'000'000);
  CHECK(hc.timeout_ns() == 2'000'000'000);
  CHECK(hc.retries() == 5);
  CHECK(hc.start_period_ns() == 30'000'000'000);
  REQUIRE(ct.mounts_size() == 4);
  CHECK(ct.mounts(0).type() == pb::Mount::BIND);
  CHECK(ct.mounts(0).source() == data + "/html");
  CHECK(ct.mounts(0).read_only());
  CHECK(ct.mounts(1).type() == pb::Mount::VOLUME);
  CHECK(ct.mounts(1).source() == "st_data");
  CHECK(ct.mounts(1).target() == "/data");
  CHECK(ct.mounts(2).source() == "/tmp");
  CHECK(ct.mounts(2).target() == "/scratch");
  CHECK(ct.mounts(2).read_only());
  CHECK(ct.mounts(3).source() == "shared-volume");
  // Ports, sorted by target: 53/udp, 80, 443 host, 9000, 9001.
  auto& ports = web.endpoint().ports();
  REQUIRE(ports.size() == 5);
  CHECK(ports[0].target_port() == 53);
  CHECK(ports[0].published_port() == 0);
  CHECK(ports[0].protocol() == pb::PortConfig::UDP);
  CHECK(ports[1].published_port() == 7080);
  CHECK(ports[2].target_port() == 443);
  CHECK(ports[2].published_port() == 8443);
  CHECK(ports[2].publish_mode() == pb::PortConfig::HOST);
  CHECK(ports[3].target_port() == 9000);
  CHECK(ports[3].published_port() == 8000);
  CHECK(ports[4].published_port() == 8001);
  CHECK(web.endpoint().mode() == pb::EndpointSpec::VIP);
  REQUIRE(web.networks_size() == 2);
  CHECK(web.networks(0).target() == "shared-back");
  CHECK(list(web.networks(0).aliases()) == std::vector<std::string>{"web"});
  CHECK(web.networks(1).target() == "st_front");
  CHECK(list(web.networks(1).aliases())
        == std::vector<std::string>{"www", "web"});
  // deploy:
  CHECK(web.replicas() == 2);
  CHECK(web.labels().at("com.example.role") == "web");
  auto& res = web.task().resources();
  CHECK(res.limits().nano_cpus() == 500'000'000);
  CHECK(res.limits().memory_bytes() == 256 << 20);
  CHECK(res.reservations().nano_cpus() == 250'000'000);
  CHECK(res.reservations().memory_bytes() == 64 << 20);
  auto& rp = web.task().restart();
  CHECK(rp.condition() == pb::RestartPolicy::ON_FAILURE);
  CHECK(rp.delay_ns() == 10'000'000'000);
  CHECK(rp.max_attempts() == 3);
  CHECK(rp.window_ns() == 120'000'000'000);
  auto& up = web.update();
  CHECK(up.parallelism() == 2);
  CHECK(up.delay_ns() == 5'000'000'000);
  CHECK(up.failure_action() == pb::UpdateConfig::ROLLBACK);
  CHECK(up.monitor_ns() == 20'000'000'000);
  CHECK(up.max_failure_ratio() == Approx(0.25));
  CHECK(up.order() == pb::UpdateConfig::START_FIRST);
  auto& rb = web.rollback();
  CHECK(rb.parallelism() == 0);
  CHECK(rb.failure_action() == pb::UpdateConfig::CONTINUE);
  CHECK(rb.order() == pb::UpdateConfig::STOP_FIRST);
  auto& pl = web.task().placement();
  CHECK(list(pl.constraints())
        == std::vector<std::string>{"node.role == worker"});
  CHECK(list(pl.spread_preferences())
        == std::vector<std::string>{"node.labels.zone"});
  CHECK(pl.max_replicas() == 1);
  // The second service: list forms, global, dnsrr, health check off.
  auto& worker = objs->services[1];
  CHECK(worker.name() == "st_worker");
  CHECK(worker.mode() == pb::ServiceSpec::GLOBAL);
  CHECK(worker.replicas() == 0);
  CHECK(worker.endpoint().mode() == pb::EndpointSpec::DNSRR);
  auto& wc = worker.task().container();
  CHECK(list(wc.command()) == std::vector<std::string>{"sleep", "3600"});
  // `B` has no value and is unset here: left out.
  CHECK(list(wc.env()) == std::vector<std::string>{"A=1"});
  CHECK(list(wc.healthcheck().test()) == std::vector<std::string>{"NONE"});
  CHECK(worker.task().restart().condition() == pb::RestartPolicy::ANY);
  CHECK(worker.task().restart().delay_ns() == 5'000'000'000);
}

TEST_CASE("compose load: versions as docker reads them", "[unit]") {
  auto version = [](const std::string& head) {
    auto c = load_texts({{"f.yml", head + "services: {}\n"}}, "/nonexistent",
                        env_lookup{});
    return c ? c->version : c.error().message;
  };
  CHECK(version("") == "3.9");
  CHECK(version("version: '3'\n") == "3.9");
  CHECK(version("version: 3\n") == "3.9");
  CHECK(version("version: '3.0'\n") == "3.0");
  CHECK(version("version: 3.7\n") == "3.7");
  CHECK(version("version: '2.4'\n")
        == "f.yml:1:10: unsupported Compose file version: 2.4");
  CHECK(version("version: '3.10'\n")
        == "f.yml:1:10: unsupported Compose file version: 3.10");
}

TEST_CASE("compose load: ignored keys are named, by docker's lists", "[unit]") {
  auto c = load_texts({{"f.yml", R"(version: "3.9"
services:
  web:
    image: host
    command: sleep 1
    build: .
    links: [db]
    depends_on: [db]
    container_name: web1
    expose: ["80"]
    logging: {driver: json-file}
    deploy:
      resources:
        limits: {pids: 10}
secrets:
  s: {file: ./s}
)"}},
                      "/nonexistent", env_lookup{});
  REQUIRE(c);
  CHECK(c->unsupported
        == std::vector<std::string>{"build", "depends_on",
                                    "deploy.resources.limits.pids", "links",
                                    "logging", "secrets"});
  REQUIRE(c->deprecated.size() == 2);
  CHECK(c->deprecated.at("container_name")
        == "Setting the container name is not supported.");
}

TEST_CASE("compose load: later files override earlier ones", "[unit]") {
  auto c = load_texts({{"a.yml", R"(version: "3.9"
services:
  web:
    image: host
    command: sleep 1
    environment: {A: "1", B: "1"}
    ports: ["80:80", "81:81"]
    volumes: ["/a:/data", "/b:/other"]
    cap_add: [NET_ADMIN]
    deploy:
      replicas: 2
      placement: {constraints: [node.role==manager]}
  db:
    image: host
    command: sleep 2
)"},
                       {"b.yml", R"(version: "3.9"
services:
  web:
    command: sleep 9
    environment: [B=2, C=3]
    ports: ["80:8080"]
    volumes: ["/c:/data"]
    cap_add: [SYS_TIME]
    deploy:
      placement: {constraints: [node.labels.x==y]}
)"}},
                      "/nonexistent", env_lookup{});
  REQUIRE(c);
  REQUIRE(c->services.size() == 2);
  auto& web = c->services[1];
  CHECK(web.name == "web");
  CHECK(*web.command == std::vector<std::string>{"sleep", "9"});
  CHECK(*web.image == "host");
  CHECK(web.environment.at("A") == "1");
  CHECK(web.environment.at("B") == "2");
  CHECK(web.environment.at("C") == "3");
  REQUIRE(web.ports.size() == 2);
  CHECK(web.ports[0].published == 80);
  CHECK(web.ports[0].target == 8080);
  REQUIRE(web.volumes.size() == 2);
  CHECK(web.volumes[0].source == "/c");
  CHECK(web.cap_add == std::vector<std::string>{"NET_ADMIN", "SYS_TIME"});
  CHECK(*web.deploy.replicas == 2);
  CHECK(web.deploy.constraints
        == std::vector<std::string>{"node.role==manager", "node.labels.x==y"});
  auto mismatch = load_texts({{"a.yml", "version: '3.9'\n"},
                              {"b.yml", "version: '3.2'\n"}},
                             "/nonexistent", env_lookup{});
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().message
        == "b.yml: version mismatched between two composefiles : 3.9 and "
           "3.2");
}

TEST_CASE("compose load: .env next to the first file, the environment wins",
          "[unit]") {
  auto c = load({data + "/dotenv/stack.yml"}, env_of({{"B", "env"}}));
  REQUIRE(c);
  auto& s = c->services[0];
  CHECK(*s.command == std::vector<std::string>{"echo", "dot", "env", ""});
  auto missing = load({data + "/nope.yml"}, env_lookup{});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message
        == "open " + data + "/nope.yml: no such file or directory");
}

TEST_CASE("compose load: shell words of a command string", "[unit]") {
  auto split = [](const std::string& x) { return *shell_split(x); };
  CHECK(split("a  b\tc") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split("sh -c 'echo $X; exit 1'")
        == std::vector<std::string>{"sh", "-c", "echo $X; exit 1"});
  CHECK(split(R"(echo "a \"b\" c" d\ e '')")
        == std::vector<std::string>{"echo", "a \"b\" c", "d e", ""});
}
