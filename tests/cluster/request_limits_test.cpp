// Cluster: requests that could exhaust a manager are refused by a real
// daemon (issue #9, defect 7), and the CLI's small bad-value defects with
// it. Each refusal: exit 1, one clear line on stderr, nothing stored, the
// daemon still serving.

#include "cluster/cluster_fixture.hpp"

#include <signal.h>

#include <catch2/catch.hpp>

using namespace actorswarm::test;

namespace {

bool contains(const std::string& x, const std::string& needle) {
  return x.find(needle) != std::string::npos;
}

std::vector<std::string> create_web(std::vector<std::string> flags) {
  std::vector<std::string> xs = {"service", "create", "-d", "--name", "web"};
  xs.insert(xs.end(), flags.begin(), flags.end());
  xs.insert(xs.end(), {"host", "sleep", "3600"});
  return xs;
}

} // namespace

TEST_CASE("cluster: a service of a billion replicas is refused by the "
          "swarm's replica limit, which swarm update changes",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  expect_refused(f, create_web({"--replicas", "1000000000"}),
                 "replicas 1000000000 exceed this swarm's limit of 100000 per "
                 "service; raise it with `actorswarm swarm update "
                 "--max-replicas-per-service N`");
  auto info = f.cli({"info"});
  CHECK(info.exit_code == 0);
  CHECK(contains(info.out, "Services: 0"));
  CHECK(contains(info.out, "Max Replicas Per Service: 100000"));

  auto up = f.cli({"swarm", "update", "--max-replicas-per-service", "5"});
  REQUIRE(up.exit_code == 0);
  CHECK(contains(f.cli({"info"}).out, "Max Replicas Per Service: 5"));
  expect_refused(f, create_web({"--replicas", "6"}),
                 "replicas 6 exceed this swarm's limit of 5", 1);
  REQUIRE(f.cli(create_web({"--replicas", "5"})).exit_code == 0);
  REQUIRE(f.wait_replicas("web", "5/5"));
  expect_refused(f, {"service", "scale", "web=6"},
                 "replicas 6 exceed this swarm's limit of 5", 1);
  expect_refused(f, {"service", "update", "-d", "--replicas", "6", "web"},
                 "replicas 6 exceed this swarm's limit of 5", 1);

  for (const char* bad : {"0", "-1", "many", ""})
    expect_refused(f, {"swarm", "update", "--max-replicas-per-service", bad},
                   std::string{bad} == "0"
                     ? "max-replicas-per-service must be at least 1"
                     : "--max-replicas-per-service",
                   1);
  CHECK(contains(f.cli({"info"}).out, "Max Replicas Per Service: 5"));
}

TEST_CASE("cluster: service flags with bad byte sizes or empty numbers and "
          "broken templates are refused in one line",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  REQUIRE(f.cli(create_web({"--replicas", "1"})).exit_code == 0);
  REQUIRE(f.wait_replicas("web", "1/1"));
  expect_refused(f, create_web({"--limit-memory", "100000000000000000000"}),
                 "invalid size: '100000000000000000000': too large", 1);
  expect_refused(f, create_web({"--reserve-memory", "100000000000000000000"}),
                 "too large", 1);
  expect_refused(f, create_web({"--limit-cpu", "1e30"}),
                 "failed to parse 1e30 as a rational number", 1);
  expect_refused(
    f, create_web({"--replicas", ""}),
    R"(invalid argument "" for "--replicas" flag: strconv.ParseUint: parsing "": invalid syntax)",
    1);
  expect_refused(f, {"service", "ls", "--format", "{{.Foo"},
                 "template parsing error: template: :1: unclosed action", 1);
  expect_refused(
    f, {"service", "ls", "--format", "{{.Foo}}"},
    R"(template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo")",
    1);
  expect_refused(f, {"service", "inspect", "--format", "{{.Foo}}", "web"},
                 R"(map has no entry for key "Foo")", 1);
}
