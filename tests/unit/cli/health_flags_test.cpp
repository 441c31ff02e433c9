#include "cli/service_spec.hpp"
#include "cli/service_update.hpp"

#include <catch2/catch.hpp>

#include "cli/output/views.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

constexpr int64_t sec_ns = 1'000'000'000;

std::vector<std::string> test_of(const pb::ContainerSpec& c) {
  return {c.healthcheck().test().begin(), c.healthcheck().test().end()};
}

// A daemon that knows `web`, whose check is `cmd`.
void serve_web(fake_daemon& d, const std::string& cmd) {
  d.on = [cmd](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_inspect()) {
      auto& s = *r.add_services()->mutable_service();
      s.set_id("svcidxxxxxxxxxxxxxxxxxxxx");
      s.mutable_meta()->set_version(7);
      s.mutable_spec()->set_name("web");
      s.mutable_spec()->set_replicas(1);
      auto& c = *s.mutable_spec()->mutable_task()->mutable_container();
      c.set_image("host");
      c.add_command("sleep");
      auto& h = *c.mutable_healthcheck();
      h.add_test("CMD-SHELL");
      h.add_test(cmd);
      h.set_interval_ns(5 * sec_ns);
      h.set_retries(2);
    }
    return std::vector<pb::ControlReply>{r};
  };
}

} // namespace

TEST_CASE("service create --health-* builds docker's HealthConfig", "[unit]") {
  cli::service_create_flags f;
  f.image = "host";
  f.command = {"sleep", "1000"};
  SECTION("no flag: no healthcheck") {
    auto spec = cli::build_service_spec(f);
    REQUIRE(spec);
    CHECK_FALSE(spec->task().container().has_healthcheck());
  }
  SECTION("every flag") {
    f.health.cmd = "test -f /tmp/ok";
    f.health.interval = "2s";
    f.health.timeout = "500ms";
    f.health.retries = "4";
    f.health.start_period = "1m";
    auto spec = cli::build_service_spec(f);
    REQUIRE(spec);
    auto& c = spec->task().container();
    CHECK(test_of(c)
          == std::vector<std::string>{"CMD-SHELL", "test -f /tmp/ok"});
    CHECK(c.healthcheck().interval_ns() == 2 * sec_ns);
    CHECK(c.healthcheck().timeout_ns() == sec_ns / 2);
    CHECK(c.healthcheck().retries() == 4);
    CHECK(c.healthcheck().start_period_ns() == 60 * sec_ns);
  }
  SECTION("settings without a command: an empty test") {
    f.health.interval = "3s";
    auto spec = cli::build_service_spec(f);
    REQUIRE(spec);
    CHECK(spec->task().container().has_healthcheck());
    CHECK(test_of(spec->task().container()).empty());
  }
  SECTION("--no-healthcheck: NONE") {
    f.health.no_healthcheck = true;
    auto spec = cli::build_service_spec(f);
    REQUIRE(spec);
    CHECK(test_of(spec->task().container())
          == std::vector<std::string>{"NONE"});
    f.health.retries = "0"; // docker: 0 retries counts as not given
    CHECK(cli::build_service_spec(f));
  }
  SECTION("--no-healthcheck with a --health-* flag") {
    f.health.no_healthcheck = true;
    f.health.cmd = "true";
    auto spec = cli::build_service_spec(f);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().message
          == "--no-healthcheck conflicts with --health-* options");
  }
  SECTION("bad values in docker's words") {
    f.health.interval = "-1s";
    auto spec = cli::build_service_spec(f);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().message
          == "invalid argument \"-1s\" for \"--health-interval\" flag: "
             "duration cannot be negative");
    f.health.interval.clear();
    f.health.timeout = "5x";
    spec = cli::build_service_spec(f);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().message
          == "invalid argument \"5x\" for \"--health-timeout\" flag: time: "
             "unknown unit \"x\" in duration \"5x\"");
    f.health.timeout.clear();
    f.health.retries = "x";
    spec = cli::build_service_spec(f);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().message
          == "invalid argument \"x\" for \"--health-retries\" flag: "
             "strconv.ParseInt: parsing \"x\": invalid syntax");
    f.health.retries = "-1";
    spec = cli::build_service_spec(f);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().message
          == "ContainerSpec: Retries in HealthConfig cannot be negative");
  }
}

TEST_CASE("service update --health-* edits the check as docker's "
          "updateHealthcheck",
          "[unit]") {
  pb::ContainerSpec c;
  c.mutable_healthcheck()->add_test("CMD-SHELL");
  c.mutable_healthcheck()->add_test("true");
  c.mutable_healthcheck()->set_interval_ns(5 * sec_ns);
  cli::health_flags f;
  SECTION("no flag: unchanged") {
    REQUIRE(cli::apply_health_update(f, c));
    CHECK(test_of(c) == std::vector<std::string>{"CMD-SHELL", "true"});
    CHECK(cli::health_flags_empty(f));
  }
  SECTION("one field replaced, the rest kept") {
    f.retries = "7";
    REQUIRE(cli::apply_health_update(f, c));
    CHECK(test_of(c) == std::vector<std::string>{"CMD-SHELL", "true"});
    CHECK(c.healthcheck().interval_ns() == 5 * sec_ns);
    CHECK(c.healthcheck().retries() == 7);
  }
  SECTION("a new command; an empty one clears it") {
    f.cmd = "test -f /x";
    f.cmd_given = true;
    REQUIRE(cli::apply_health_update(f, c));
    CHECK(test_of(c) == std::vector<std::string>{"CMD-SHELL", "test -f /x"});
    cli::health_flags clear;
    clear.cmd_given = true;
    CHECK_FALSE(cli::health_flags_empty(clear));
    REQUIRE(cli::apply_health_update(clear, c));
    CHECK(test_of(c).empty());
    CHECK(c.healthcheck().interval_ns() == 5 * sec_ns);
  }
  SECTION("--no-healthcheck alone disables; with another flag it conflicts") {
    f.no_healthcheck = true;
    REQUIRE(cli::apply_health_update(f, c));
    CHECK(test_of(c) == std::vector<std::string>{"NONE"});
    CHECK(c.healthcheck().interval_ns() == 0);
    f.interval = "1s";
    auto st = cli::apply_health_update(f, c);
    REQUIRE_FALSE(st);
    CHECK(st.error().message
          == "--no-healthcheck conflicts with --health-* options");
  }
  SECTION("a NONE test is dropped when settings are given") {
    c.mutable_healthcheck()->clear_test();
    c.mutable_healthcheck()->add_test("NONE");
    f.timeout = "2s";
    REQUIRE(cli::apply_health_update(f, c));
    CHECK(test_of(c).empty());
    CHECK(c.healthcheck().timeout_ns() == 2 * sec_ns);
  }
  SECTION("a bad value leaves the check alone") {
    f.interval = "-2s";
    f.retries = "3";
    REQUIRE_FALSE(cli::apply_health_update(f, c));
    CHECK(c.healthcheck().retries() == 0);
    CHECK(c.healthcheck().interval_ns() == 5 * sec_ns);
  }
}

TEST_CASE("the health flags travel from the command line", "[unit]") {
  SECTION("create") {
    fake_daemon d;
    d.on = [](const pb::ControlRequest&) {
      pb::ControlReply r;
      r.add_ids("svcidxxxxxxxxxxxxxxxxxxxx");
      return std::vector<pb::ControlReply>{r};
    };
    REQUIRE(d.run({"service", "create", "-d", "--health-cmd", "test -f /ok",
                   "--health-interval", "1s", "--health-retries", "2",
                   "--health-timeout", "3s", "--health-start-period", "4s",
                   "host", "sleep", "100"})
            == 0);
    REQUIRE(d.requests.size() == 1);
    auto& c = d.requests[0].service_create().spec().task().container();
    CHECK(test_of(c) == std::vector<std::string>{"CMD-SHELL", "test -f /ok"});
    CHECK(c.healthcheck().interval_ns() == sec_ns);
    CHECK(c.healthcheck().retries() == 2);
    CHECK(c.healthcheck().timeout_ns() == 3 * sec_ns);
    CHECK(c.healthcheck().start_period_ns() == 4 * sec_ns);
    CHECK(c.command(0) == "sleep");
  }
  SECTION("create refuses a conflict before sending") {
    fake_daemon d;
    CHECK(d.run({"service", "create", "--no-healthcheck", "--health-cmd",
                 "true", "host", "sleep", "100"})
          == 1);
    CHECK(d.requests.empty());
    CHECK(d.err.str().find("--no-healthcheck conflicts with --health-* options")
          != std::string::npos);
  }
  SECTION("update with an empty --health-cmd clears the command") {
    fake_daemon d;
    serve_web(d, "true");
    REQUIRE(d.run({"service", "update", "-d", "--health-cmd", "", "web"}) == 0);
    REQUIRE(d.requests.size() == 2);
    auto& c = d.requests[1].service_update().spec().task().container();
    CHECK(test_of(c).empty());
    CHECK(c.healthcheck().retries() == 2);
  }
  SECTION("update --no-healthcheck") {
    fake_daemon d;
    serve_web(d, "true");
    REQUIRE(d.run({"service", "update", "-d", "--no-healthcheck", "web"}) == 0);
    REQUIRE(d.requests.size() == 2);
    auto& c = d.requests[1].service_update().spec().task().container();
    CHECK(test_of(c) == std::vector<std::string>{"NONE"});
  }
  SECTION("empty values are refused in pflag's words") {
    fake_daemon d;
    CHECK(d.run({"service", "update", "--health-retries", "", "web"}) == 1);
    CHECK(d.err.str().find("invalid argument \"\" for \"--health-retries\" "
                           "flag: strconv.ParseInt: parsing \"\": invalid "
                           "syntax")
          != std::string::npos);
    CHECK(d.requests.empty());
  }
}

TEST_CASE("CURRENT STATE shows a running task's health as docker ps does",
          "[unit]") {
  pb::TaskStatus st;
  st.set_state(pb::RUNNING);
  st.set_timestamp_ns(10 * sec_ns);
  CHECK(cli::output::task_current_state(st, 15 * sec_ns)
        == "Running 5 seconds ago");
  st.set_health(pb::TaskStatus::STARTING);
  CHECK(cli::output::task_current_state(st, 15 * sec_ns)
        == "Running 5 seconds ago (health: starting)");
  st.set_health(pb::TaskStatus::HEALTHY);
  CHECK(cli::output::task_current_state(st, 15 * sec_ns)
        == "Running 5 seconds ago (healthy)");
  st.set_health(pb::TaskStatus::UNHEALTHY);
  CHECK(cli::output::task_current_state(st, 15 * sec_ns)
        == "Running 5 seconds ago (unhealthy)");
  st.set_state(pb::FAILED);
  CHECK(cli::output::task_current_state(st, 15 * sec_ns)
        == "Failed 5 seconds ago");
}
