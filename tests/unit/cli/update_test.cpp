#include "cli/service_update.hpp"

#include <catch2/catch.hpp>

#include "cli/output/table.hpp"
#include "cli/output/views.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

pb::Service web_service() {
  pb::Service s;
  s.set_id("svcidxxxxxxxxxxxxxxxxxxxx");
  s.mutable_meta()->set_version(42);
  auto& spec = *s.mutable_spec();
  spec.set_name("web");
  spec.set_replicas(2);
  auto& c = *spec.mutable_task()->mutable_container();
  c.set_image("host");
  c.add_command("sleep");
  c.add_command("3600");
  c.add_env("A=1");
  c.add_env("B=2");
  spec.mutable_task()->mutable_placement()->add_constraints(
    "node.role==manager");
  return s;
}

// A daemon that knows `web` and answers task lists with `running` tasks.
void serve_web(fake_daemon& d) {
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_inspect())
      *r.add_services()->mutable_service() = web_service();
    if (req.has_info())
      r.mutable_info()->set_node_id("selfidxxxxxxxxxxxxxxxxxxx");
    return std::vector<pb::ControlReply>{r};
  };
}

} // namespace

TEST_CASE("service update applies docker's edits to the spec read", "[unit]") {
  auto spec = web_service().spec();
  cli::service_update_flags f;
  f.replicas = "5";
  f.env_add = {"B=3", "C=4"};
  f.env_rm = {"A"};
  f.args = "python3 -c 'print(1)' x\\ y";
  f.constraint_add = {"node.labels.zone==east"};
  f.constraint_rm = {"node.role==manager"};
  f.limit_memory = "64m";
  f.restart_condition = "on-failure";
  f.restart_delay = "1s";
  REQUIRE(cli::apply_service_update(f, spec));
  CHECK(spec.replicas() == 5);
  const auto& c = spec.task().container();
  REQUIRE(c.env_size() == 2);
  CHECK(c.env(0) == "B=3");
  CHECK(c.env(1) == "C=4");
  REQUIRE(c.command_size() == 4);
  CHECK(c.command(2) == "print(1)");
  CHECK(c.command(3) == "x y");
  REQUIRE(spec.task().placement().constraints_size() == 1);
  CHECK(spec.task().placement().constraints(0) == "node.labels.zone==east");
  CHECK(spec.task().resources().limits().memory_bytes() == 64 << 20);
  CHECK_FALSE(spec.task().resources().has_reservations());
  CHECK(spec.task().restart().condition() == pb::RestartPolicy::ON_FAILURE);
  CHECK(spec.task().restart().delay_ns() == 1'000'000'000);
  cli::service_update_flags unset;
  unset.limit_memory = "0";
  REQUIRE(cli::apply_service_update(unset, spec));
  CHECK_FALSE(spec.task().resources().has_limits());
}

TEST_CASE("service update --force raises the task spec's force_update by "
          "one, as docker's CLI",
          "[unit]") {
  fake_daemon d;
  serve_web(d);
  REQUIRE(d.run({"service", "update", "-d", "--force", "web"}) == 0);
  REQUIRE(d.requests.size() == 2);
  CHECK(d.requests[1].service_update().spec().task().force_update() == 1);
  auto spec = web_service().spec();
  spec.mutable_task()->set_force_update(7);
  cli::service_update_flags f;
  f.force = true;
  REQUIRE(cli::apply_service_update(f, spec));
  CHECK(spec.task().force_update() == 8);
}

TEST_CASE("service update: bad values fail before anything is sent", "[unit]") {
  for (auto args : std::vector<std::vector<std::string>>{
         {"service", "update", "--replicas", "-1", "web"},
         {"service", "update", "--limit-memory", "12Q", "web"},
         {"service", "update", "--restart-delay", "5x", "web"},
         {"service", "update", "--restart-condition", "never", "web"},
         {"service", "update", "--args", "'unterminated", "web"},
         {"service", "update", "--bogus", "1", "web"},
         {"service", "update", "--replicas", "2"},
         {"service", "update", "web"},
       }) {
    fake_daemon d;
    INFO(args[2]);
    CHECK(d.run(args) == 1);
    CHECK(d.requests.empty());
    CHECK(d.err.str().find("See 'actorswarm service update --help'.")
          != std::string::npos);
  }
}

TEST_CASE("service update sends the version it read", "[unit]") {
  fake_daemon d;
  serve_web(d);
  REQUIRE(d.run({"service", "update", "-d", "--replicas", "3", "--env-add",
                 "D=5", "web"})
          == 0);
  REQUIRE(d.requests.size() == 2);
  CHECK(d.requests[0].service_inspect().refs(0) == "web");
  const auto& u = d.requests[1].service_update();
  CHECK(u.ref() == "svcidxxxxxxxxxxxxxxxxxxxx");
  CHECK(u.version() == 42);
  CHECK(u.spec().replicas() == 3);
  CHECK(u.spec().task().container().env_size() == 3);
  CHECK(d.out.str() == "web\n");
  fake_daemon g;
  serve_web(g);
  g.on = [inner = g.on](const pb::ControlRequest& req) {
    auto rs = inner(req);
    rs[0].mutable_services(0)->mutable_service()->mutable_spec()->set_mode(
      pb::ServiceSpec::GLOBAL);
    return rs;
  };
  CHECK(g.run({"service", "update", "--replicas", "3", "web"}) == 1);
  CHECK(g.err.str()
        == "Error response from daemon: replicas can only be used with "
           "replicated mode\n");
  CHECK(g.requests.size() == 1);
}

TEST_CASE("node inspect and node ps resolve self", "[unit]") {
  fake_daemon d;
  serve_web(d);
  REQUIRE(d.run({"node", "inspect", "--format", "{{.ID}}", "self"}) == 0);
  REQUIRE(d.requests.size() == 2);
  CHECK(d.requests[0].has_info());
  CHECK(d.requests[1].node_inspect().refs(0) == "selfidxxxxxxxxxxxxxxxxxxx");
  REQUIRE(d.run({"node", "ps"}) == 0);
  CHECK(d.requests.back().task_list().node_ref()
        == "selfidxxxxxxxxxxxxxxxxxxx");
  REQUIRE(d.run({"node", "ps", "h2"}) == 0);
  CHECK(d.requests.back().task_list().node_ref() == "h2");
  fake_daemon out; // not in a swarm: no node id
  CHECK(out.run({"node", "inspect", "self"}) == 1);
  CHECK(out.err.str().find("This node is not a swarm manager")
        != std::string::npos);
}

TEST_CASE("templates take docker's field names", "[unit]") {
  auto row = nlohmann::json::parse(
    R"({"ID":"x1","Spec":{"Name":"web"},"ManagerStatus":{"Leader":true}})");
  CHECK(*cli::output::expand_template("{{.ID}} {{.Spec.Name}}", row)
        == "x1 web");
  CHECK(*cli::output::expand_template("{{.ManagerStatus.Leader}}", row)
        == "true");
  // Go's field names are case-sensitive; a field the row does not have
  // fails (bad_values_test.cpp).
  CHECK_FALSE(cli::output::expand_template("{{.spec.name}}", row));
  CHECK_FALSE(cli::output::expand_template("{{.Nope}}", row));
}

TEST_CASE("pretty output follows docker's layout", "[unit]") {
  auto s = web_service();
  (*s.mutable_spec()->mutable_labels())["tier"] = "front";
  auto text = cli::output::service_pretty(s);
  CHECK(text.find("Labels:\n tier=front\n") != std::string::npos);
  CHECK(text.find(" Args:\t\tsleep 3600 \n") != std::string::npos);
  CHECK(text.find(" Env:\t\tA=1 B=2 \n") != std::string::npos);
  pb::Node n;
  n.mutable_meta()->set_created_at_ns(1'700'000'000'250'000'000);
  (*n.mutable_spec()->mutable_labels())["zone"] = "east";
  auto node = cli::output::node_pretty(n);
  CHECK(node.find("Joined at:\t\t2023-11-14 22:13:20.25 +0000 UTC\n")
        != std::string::npos);
  CHECK(node.find("Labels:\n - zone=east\n") != std::string::npos);
}
