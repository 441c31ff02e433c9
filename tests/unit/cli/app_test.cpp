#include <catch2/catch.hpp>

#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

TEST_CASE("service create passes the task's own flags through", "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    r.add_ids("abcdefghijklmnopqrstuvwxy");
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"service", "create", "--name", "web", "--replicas=3", "-d",
                 "-e", "A=1", "--env", "B=2", "host", "python3", "-m",
                 "http.server", "--bind", "127.0.0.1"})
          == 0);
  REQUIRE(d.requests.size() == 1);
  const auto& spec = d.requests[0].service_create().spec();
  CHECK(spec.name() == "web");
  CHECK(spec.replicas() == 3);
  const auto& c = spec.task().container();
  CHECK(c.image() == "host");
  REQUIRE(c.command_size() == 5);
  CHECK(c.command(0) == "python3");
  CHECK(c.command(1) == "-m");
  CHECK(c.command(3) == "--bind");
  REQUIRE(c.env_size() == 2);
  CHECK(c.env(1) == "B=2");
  CHECK(d.out.str() == "abcdefghijklmnopqrstuvwxy\n");
  CHECK(d.paths[0] == "/run/actorswarm.sock");
}

TEST_CASE("service create fills docker's defaults", "[unit]") {
  fake_daemon d;
  REQUIRE(d.run({"service", "create", "-d", "host", "true"}) == 0);
  const auto& spec = d.requests.at(0).service_create().spec();
  CHECK(spec.mode() == pb::ServiceSpec::REPLICATED);
  CHECK(spec.replicas() == 1);
  const auto& rp = spec.task().restart();
  CHECK(rp.condition() == pb::RestartPolicy::ANY);
  CHECK(rp.delay_ns() == 5'000'000'000);
  CHECK(rp.max_attempts() == 0);
  CHECK(rp.window_ns() == 0);
  CHECK(spec.task().container().stop_grace_period_ns() == 10'000'000'000);
}

TEST_CASE("service create maps every flag into the spec", "[unit]") {
  fake_daemon d;
  REQUIRE(d.run({"service",
                 "create",
                 "-d",
                 "--restart-condition",
                 "on-failure",
                 "--restart-delay",
                 "300ms",
                 "--restart-max-attempts",
                 "4",
                 "--restart-window",
                 "1m30s",
                 "--constraint",
                 "node.labels.zone==east",
                 "--constraint",
                 "node.role==worker",
                 "--placement-pref",
                 "spread=node.labels.rack",
                 "--replicas-max-per-node",
                 "2",
                 "--reserve-cpu",
                 "0.5",
                 "--reserve-memory",
                 "512m",
                 "--limit-cpu",
                 "2",
                 "--limit-memory=1g",
                 "-w",
                 "/tmp",
                 "-l",
                 "team=a",
                 "--stop-grace-period",
                 "2s",
                 "--placement-strategy",
                 "binpack",
                 "host",
                 "sleep",
                 "100"})
          == 0);
  const auto& t = d.requests.at(0).service_create().spec().task();
  CHECK(t.restart().condition() == pb::RestartPolicy::ON_FAILURE);
  CHECK(t.restart().delay_ns() == 300'000'000);
  CHECK(t.restart().max_attempts() == 4);
  CHECK(t.restart().window_ns() == 90'000'000'000);
  REQUIRE(t.placement().constraints_size() == 2);
  CHECK(t.placement().spread_preferences(0) == "node.labels.rack");
  CHECK(t.placement().max_replicas() == 2);
  CHECK(t.placement().strategy() == pb::Placement::BINPACK);
  CHECK(t.resources().reservations().nano_cpus() == 500'000'000);
  CHECK(t.resources().reservations().memory_bytes() == 512LL << 20);
  CHECK(t.resources().limits().nano_cpus() == 2'000'000'000);
  CHECK(t.resources().limits().memory_bytes() == 1LL << 30);
  CHECK(t.container().dir() == "/tmp");
  CHECK(t.container().stop_grace_period_ns() == 2'000'000'000);
  CHECK(d.requests[0].service_create().spec().labels().at("team") == "a");
}

TEST_CASE("bad flag values fail with one line and send nothing", "[unit]") {
  struct row {
    std::vector<std::string> args;
    std::string err;
  };
  std::vector<row> rows{
    {{"--restart-delay", "5x"},
     R"(invalid argument "5x" for "--restart-delay" flag: time: unknown unit "x" in duration "5x")"},
    {{"--limit-memory", "12Q"},
     R"(invalid argument "12Q" for "--limit-memory" flag: invalid suffix: 'q')"},
    {{"--replicas", "-1"},
     R"(invalid argument "-1" for "--replicas" flag: strconv.ParseUint: parsing "-1": invalid syntax)"},
    {{"--mode", "daemonset"},
     "Unknown mode: daemonset, only replicated and global supported"},
    {{"--mode", "global", "--replicas", "2"},
     "replicas can only be used with replicated mode"},
    {{"--reserve-cpu", "abc"},
     R"(invalid argument "abc" for "--reserve-cpu" flag: failed to parse abc as a rational number)"},
  };
  for (const auto& r : rows) {
    fake_daemon d;
    auto args = r.args;
    args.insert(args.begin(), {"service", "create"});
    args.push_back("host");
    INFO(r.err);
    CHECK(d.run(args) == 1);
    CHECK(d.requests.empty());
    CHECK(d.err.str() == r.err + "\nSee 'actorswarm service create --help'.\n");
  }
}

TEST_CASE("unknown flags get docker's message", "[unit]") {
  fake_daemon d;
  CHECK(d.run({"service", "create", "--foo", "host"}) == 1);
  CHECK(d.err.str()
        == "unknown flag: --foo\nSee 'actorswarm service create --help'.\n");
  CHECK(d.requests.empty());
  fake_daemon d2;
  CHECK(d2.run({"node", "ls", "--bar=1"}) == 1);
  CHECK(d2.err.str()
        == "unknown flag: --bar\nSee 'actorswarm node ls --help'.\n");
  fake_daemon d3;
  CHECK(d3.run({"service", "create"}) == 1);
  CHECK(d3.err.str()
        == "\"actorswarm service create\" requires at least 1 argument.\n"
           "See 'actorswarm service create --help'.\n");
}

TEST_CASE("unreachable daemon and daemon errors", "[unit]") {
  fake_daemon d;
  d.unreachable = true;
  CHECK(d.run({"-H", "unix:///x.sock", "service", "ls"}) == 1);
  CHECK(d.err.str()
        == "Cannot connect to the actorswarm daemon at unix:///x.sock. Is the "
           "actorswarm daemon running?\n");
  CHECK(d.paths.at(0) == "/x.sock");
  fake_daemon e;
  e.on = [](const pb::ControlRequest&) {
    pb::ControlReply r;
    r.set_code(3);
    r.set_error("service nope not found");
    r.set_warning("stale read");
    return std::vector<pb::ControlReply>{r};
  };
  CHECK(e.run({"service", "rm", "nope"}) == 1);
  CHECK(e.err.str()
        == "WARNING: stale read\nError response from daemon: service nope not "
           "found\n");
  CHECK(e.out.str().empty());
}

TEST_CASE("the host comes from -H, else ACTORSWARM_HOST", "[unit]") {
  fake_daemon d;
  auto ctx = d.make_context();
  ctx.host_env = "unix:///env.sock";
  const char* argv[] = {"actorswarm", "service", "ls"};
  CHECK(cli::run(3, argv, ctx) == 0);
  CHECK(d.paths.at(0) == "/env.sock");
  fake_daemon t;
  CHECK(t.run({"-H", "tcp://1.2.3.4:2375", "node", "ls"}) == 1);
  CHECK(
    t.err.str()
    == "invalid host \"tcp://1.2.3.4:2375\": only unix://PATH is supported\n");
}
