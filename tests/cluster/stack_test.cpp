// Cluster: `stack deploy|ls|services|rm` on one real daemon: two services
// on the stack's default network (no published port: this test runs in the
// machine's own namespace), a redeploy with one change that replaces only
// that service's task, --prune, and rm leaving nothing behind.

#include "cluster/cluster_fixture.hpp"

#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace actorswarm::test;

namespace {

std::string write(const cluster_fixture& f, const std::string& name,
                  const std::string& text) {
  auto path = f.dir() + "/" + name;
  std::ofstream{path} << text;
  return path;
}

const char* stack_v1 = R"(version: "3.9"
services:
  a:
    image: host
    command: sleep 3600
  b:
    image: host
    command: ["sleep", "3601"]
    deploy:
      labels: [role=b]
)";

// The service's version (Raft index of its last change), from `service
// inspect` in either shape: protobuf's (`meta.version`) or Docker's
// (`Version.Index`).
uint64_t version_of(const cluster_fixture& f, const std::string& service) {
  auto r = f.cli({"service", "inspect", service});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out)[0];
  if (j.contains("Version"))
    return j["Version"]["Index"].get<uint64_t>();
  auto v = j["meta"]["version"];
  return v.is_string() ? std::stoull(v.get<std::string>()) : v.get<uint64_t>();
}

} // namespace

TEST_CASE("cluster: stack deploy then a redeploy with one change then --prune "
          "and rm",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  // setup/start
  auto v1 = write(f, "v1.yml", stack_v1);
  auto dep = f.cli({"stack", "deploy", "-c", v1, "st"});
  INFO(dep.out << dep.err << f.daemon_log());
  REQUIRE(dep.exit_code == 0);
  CHECK(dep.out
        == "Creating network st_default\nCreating service st_a\n"
           "Creating service st_b\n");
  CHECK(f.wait_replicas("st_a", "1/1"));
  CHECK(f.wait_replicas("st_b", "1/1"));
  auto ls = f.cli({"stack", "ls"});
  CHECK(ls.out == "NAME      SERVICES\nst        2\n");
  auto services = f.cli({"stack", "services", "--format", "{{.Name}}", "st"});
  CHECK(services.out == "st_a\nst_b\n");
  // redeploy: b's command changes, a is sent nothing (its version stays)
  auto a_version = version_of(f, "st_a");
  auto b_version = version_of(f, "st_b");
  auto v2 = write(f, "v2.yml",
                  "version: '3.9'\nservices:\n  b:\n    command: sleep 3602\n");
  auto re = f.cli({"stack", "deploy", "-c", v1, "-c", v2, "st"});
  INFO(re.out << re.err);
  REQUIRE(re.exit_code == 0);
  CHECK(re.out.find("Updating service st_a (id: ") == 0);
  CHECK(version_of(f, "st_a") == a_version);
  CHECK(version_of(f, "st_b") > b_version);
  CHECK(f.wait_replicas("st_b", "1/1"));
  // the same files again: nothing changes
  b_version = version_of(f, "st_b");
  REQUIRE(f.cli({"stack", "deploy", "-c", v1, "-c", v2, "st"}).exit_code == 0);
  CHECK(version_of(f, "st_a") == a_version);
  CHECK(version_of(f, "st_b") == b_version);
  // --prune: b left the file
  auto only_a = write(f, "a.yml",
                      "version: '3.9'\nservices:\n  a:\n    image: host\n"
                      "    command: sleep 3600\n");
  auto pr = f.cli({"stack", "deploy", "--prune", "-c", only_a, "st"});
  INFO(pr.out << pr.err);
  REQUIRE(pr.exit_code == 0);
  CHECK(pr.out.find("Removing service st_b\n") == 0);
  CHECK(f.cli({"stack", "services", "--format", "{{.Name}}", "st"}).out
        == "st_a\n");
  // rm
  auto rm = f.cli({"stack", "rm", "st"});
  INFO(rm.out << rm.err);
  REQUIRE(rm.exit_code == 0);
  CHECK(rm.out == "Removing service st_a\nRemoving network st_default\n");
  CHECK(f.wait_task_count(0) == 0);
  CHECK(f.cli({"stack", "ls"}).out == "NAME      SERVICES\n");
  auto again = f.cli({"stack", "rm", "st"});
  CHECK(again.err == "Nothing found in stack: st\n");
}
