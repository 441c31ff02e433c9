#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

std::vector<pb::ControlReply> one(const pb::ControlReply& r) {
  return {r};
}

} // namespace

TEST_CASE("swarm init prints docker's join instructions", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    REQUIRE(req.has_swarm_init());
    CHECK(req.swarm_init().scheduler_strategy() == pb::Placement::BINPACK);
    CHECK(req.swarm_init().listen_addr() == "127.0.0.1:2377");
    pb::ControlReply r;
    r.mutable_info()->set_node_id("nodeidxxxxxxxxxxxxxxxxxxx");
    r.mutable_info()->set_node_addr("127.0.0.1:2377");
    r.mutable_cluster()->mutable_join_tokens()->set_worker("SWMTKN-1-abc-def");
    return one(r);
  };
  REQUIRE(d.run({"swarm", "init", "--listen-addr", "127.0.0.1:2377",
                 "--scheduler-strategy", "binpack"})
          == 0);
  CHECK(
    d.out.str()
    == "Swarm initialized: current node (nodeidxxxxxxxxxxxxxxxxxxx) is now "
       "a manager.\n\n"
       "To add a worker to this swarm, run the following command:\n\n"
       "    actorswarm swarm join --token SWMTKN-1-abc-def 127.0.0.1:2377\n\n"
       "To add a manager to this swarm, run 'actorswarm swarm join-token "
       "manager' and follow the instructions.\n\n");
  fake_daemon bad;
  CHECK(bad.run({"swarm", "init", "--scheduler-strategy", "fast"}) == 1);
  CHECK(bad.requests.empty());
}

TEST_CASE("swarm join, join-token, update, leave", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_join_token()) {
      r.set_text(req.join_token().role() == pb::NodeSpec::MANAGER ? "MGR"
                                                                  : "WRK");
      r.mutable_info()->set_node_addr("10.0.0.1:2377");
    }
    return one(r);
  };
  CHECK(d.run({"swarm", "join", "--token", "T", "10.0.0.1:2377"}) == 0);
  CHECK(d.requests.back().swarm_join().remote_addr() == "10.0.0.1:2377");
  CHECK(d.run({"swarm", "join-token", "-q", "manager"}) == 0);
  CHECK(d.run({"swarm", "join-token", "worker"}) == 0);
  CHECK(d.run({"swarm", "update", "--task-history-limit", "2",
               "--election-tick=20"})
        == 0);
  const auto& u = d.requests.back().swarm_update();
  CHECK(u.set_task_history_limit());
  CHECK(u.task_history_limit() == 2);
  CHECK(u.set_election_tick());
  CHECK_FALSE(u.set_heartbeat_tick());
  CHECK(d.run({"swarm", "leave", "--force"}) == 0);
  CHECK(d.requests.back().swarm_leave().force());
  CHECK(d.out.str()
        == "This node joined a swarm as a worker.\n"
           "MGR\n"
           "To add a worker to this swarm, run the following command:\n\n"
           "    actorswarm swarm join --token WRK 10.0.0.1:2377\n\n"
           "Swarm updated.\n"
           "Node left the swarm.\n");
}

TEST_CASE("node ls marks this node, node update builds the request", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_node_list()) {
      auto* n = r.add_nodes();
      n->set_id("selfxxxxxxxxxxxxxxxxxxxxx");
      n->mutable_description()->set_hostname("h1");
      r.mutable_info()->set_node_id("selfxxxxxxxxxxxxxxxxxxxxx");
    }
    return one(r);
  };
  REQUIRE(d.run({"node", "ls"}) == 0);
  CHECK(d.out.str().find("selfxxxxxxxxxxxxxxxxxxxxx *   h1")
        != std::string::npos);
  REQUIRE(d.run({"node", "update", "--availability", "drain", "--label-add",
                 "zone=east", "--label-rm", "old", "h1"})
          == 0);
  const auto& u = d.requests.back().node_update();
  CHECK(u.ref() == "h1");
  CHECK(u.set_availability());
  CHECK(u.availability() == pb::NodeSpec::DRAIN);
  CHECK(u.label_add().at("zone") == "east");
  CHECK(u.label_rm(0) == "old");
  CHECK(d.run({"node", "update", "--availability", "off", "h1"}) == 1);
  CHECK(d.run({"node", "promote", "h2"}) == 0);
  CHECK(d.requests.back().node_role().role() == pb::NodeSpec::MANAGER);
  CHECK(d.out.str().find("Node h2 promoted to a manager in the swarm.\n")
        != std::string::npos);
}

TEST_CASE("service ps, scale, rm and logs", "[unit]") {
  fake_daemon d;
  d.on = [&d](const pb::ControlRequest& req) {
    std::vector<pb::ControlReply> rs(1);
    if (req.has_task_list()) {
      auto* t = rs[0].add_tasks();
      t->set_id("taskidxxxxxxxxxxxxxxxxxxx");
      t->set_service_name("web");
      t->set_slot(1);
      t->set_node_id("n1");
      t->mutable_spec()->mutable_container()->set_image("host");
      t->set_desired_state(pb::RUNNING);
      t->mutable_status()->set_state(pb::RUNNING);
      t->mutable_status()->set_timestamp_ns(d.clock_ns - 3'000'000'000);
      (*rs[0].mutable_node_names())["n1"] = "host-1";
    }
    if (req.has_logs()) {
      rs.resize(2);
      for (int i = 0; i < 2; ++i) {
        auto* l = rs[static_cast<size_t>(i)].add_log_lines();
        l->set_task_id("taskidxxxxxxxxxxxxxxxxxxx");
        l->set_task_name("web.1");
        l->set_node_name("host-1");
        l->set_text("hello " + std::to_string(i));
        l->set_timestamp_ns(1'000'000'000);
      }
    }
    return rs;
  };
  REQUIRE(d.run({"service", "ps", "--filter", "desired-state=running", "web"})
          == 0);
  CHECK(d.requests.back().task_list().desired_states(0) == pb::RUNNING);
  CHECK(d.out.str().find(
          "web.1     host      host-1    Running         Running 3 seconds ago")
        != std::string::npos);
  d.out.str("");
  REQUIRE(d.run({"service", "ps", "-q", "web"}) == 0);
  CHECK(d.out.str() == "taskidxxxxxx\n");
  d.out.str("");
  REQUIRE(d.run({"service", "scale", "web=1"}) == 0);
  CHECK(d.out.str()
        == "web scaled to 1\noverall progress: 1 out of 1 tasks\n1/1: running\n"
           "verify: Service converged\n");
  d.out.str("");
  REQUIRE(d.run({"service", "rm", "web", "api"}) == 0);
  CHECK(d.out.str() == "web\napi\n");
  d.out.str("");
  REQUIRE(d.run({"service", "logs", "-f", "--tail", "10", "web"}) == 0);
  CHECK(d.requests.back().logs().follow());
  CHECK(d.requests.back().logs().tail() == 10);
  CHECK(d.out.str()
        == "web.1.taskidxxxxxx@host-1    | hello 0\n"
           "web.1.taskidxxxxxx@host-1    | hello 1\n");
  d.out.str("");
  REQUIRE(d.run({"service", "logs", "--raw", "--since", "2013-01-02T13:23:37Z",
                 "web"})
          == 0);
  CHECK(d.requests.back().logs().since_ns() == 1'357'133'017'000'000'000);
  CHECK(d.out.str() == "hello 0\nhello 1\n");
  d.out.str("");
  REQUIRE(d.run({"service", "logs", "--no-task-ids", "web"}) == 0);
  CHECK(d.out.str().rfind("web.1@host-1    | hello 0\n", 0) == 0);
  d.out.str("");
  CHECK(d.run({"service", "logs", "--tail", "x", "web"}) == 1);
  CHECK(d.run({"service", "logs", "--since", "soon", "web"}) == 1);
  d.out.str("");
  REQUIRE(d.run({"service", "logs", "-t", "web"}) == 0);
  CHECK(d.requests.back().logs().tail() == -1);
  CHECK(d.out.str().rfind("1970-01-01T00:00:01.000000000Z web.1.", 0) == 0);
  CHECK(d.run({"service", "scale", "web"}) == 1);
}

TEST_CASE("daemon flags are validated into daemon_options", "[unit]") {
  fake_daemon d;
  auto ctx = d.make_context();
  cli::daemon_options got;
  ctx.run_daemon = [&](const cli::daemon_options& o) {
    got = o;
    return 7;
  };
  const char* argv[] = {"actorswarm",     "daemon",
                        "--data-dir",     "/tmp/d",
                        "--listen-addr",  "127.0.0.2:4000",
                        "--control-addr", "unix:///tmp/d/ctl.sock",
                        "--log-level",    "debug",
                        "--tick-ms",      "50"};
  CHECK(cli::run(12, argv, ctx) == 7);
  CHECK(got.data_dir == "/tmp/d");
  CHECK(got.listen_addr == "127.0.0.2:4000");
  CHECK(got.control_path == "/tmp/d/ctl.sock");
  CHECK(got.log_level == "debug");
  CHECK(got.tick_ms == 50);
  const char* bad1[] = {"actorswarm", "daemon", "--listen-addr", "localhost"};
  CHECK(cli::run(4, bad1, ctx) == 1);
  const char* bad2[] = {"actorswarm", "daemon", "--control-addr", "/x.sock"};
  CHECK(cli::run(4, bad2, ctx) == 1);
  CHECK(
    d.err.str().find(
      R"(invalid argument "/x.sock" for "--control-addr" flag: must start with unix://)")
    != std::string::npos);
}

TEST_CASE("inspect: JSON array by default, templates with --format", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    auto* s = r.add_services()->mutable_service();
    s->set_id("svc1");
    s->mutable_spec()->set_name("web");
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"service", "inspect", "web"}) == 0);
  auto j = nlohmann::json::parse(d.out.str());
  CHECK(j.at(0).at("Spec").at("Name") == "web");
  d.out.str("");
  REQUIRE(d.run({"service", "inspect", "--format", "{{.Spec.Name}} {{.ID}}",
                 "web"})
          == 0);
  CHECK(d.out.str() == "web svc1\n");
}

TEST_CASE("help exits 0, a flag without its value is a usage error", "[unit]") {
  fake_daemon d;
  CHECK(d.run({"service", "create", "--help"}) == 0);
  CHECK(d.out.str().find("--restart-delay") != std::string::npos);
  fake_daemon e;
  CHECK(e.run({"service", "create", "-d", "host", "--replicas"}) == 0);
  CHECK(e.requests.at(0).service_create().spec().task().container().command(0)
        == "--replicas");
  fake_daemon f;
  CHECK(f.run({"service", "ls", "--format"}) == 1);
  CHECK(f.err.str().find("See 'actorswarm service ls --help'.")
        != std::string::npos);
  CHECK(f.requests.empty());
  fake_daemon g;
  CHECK(g.run({"service"}) == 0);
  CHECK(g.out.str().find("create") != std::string::npos);
}

TEST_CASE("unknown commands and bad scale specifiers", "[unit]") {
  fake_daemon d;
  CHECK(d.run({"bogus"}) == 1);
  CHECK(d.err.str()
        == "actorswarm: 'bogus' is not an actorswarm command.\n"
           "See 'actorswarm --help'.\n");
  fake_daemon e;
  CHECK(e.run({"service", "scale", "web=x"}) == 1);
  CHECK(e.err.str()
        == "invalid scale specifier 'web=x'.\n"
           "See 'actorswarm service scale --help'.\n");
  CHECK(e.requests.empty());
}
