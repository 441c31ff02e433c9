// The update and rollback policy flags (`--update-*`, `--rollback-*`) of
// `service create` and `service update`, `service update --rollback`,
// `service rollback`, and the policy in `service inspect --pretty`.

#include "cli/update_policy.hpp"

#include <catch2/catch.hpp>

#include "cli/output/views.hpp"
#include "cli/service_spec.hpp"
#include "cli/service_update.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

constexpr int64_t s_ns = 1'000'000'000;

pb::Service web_service() {
  pb::Service s;
  s.set_id("svcidxxxxxxxxxxxxxxxxxxxx");
  s.mutable_meta()->set_version(42);
  s.set_spec_version(3);
  auto& spec = *s.mutable_spec();
  spec.set_name("web");
  spec.set_replicas(2);
  spec.mutable_task()->mutable_container()->set_image("host");
  return s;
}

// A daemon that knows `web`; the update request is kept in the requests.
void serve_web(fake_daemon& d) {
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_inspect())
      *r.add_services()->mutable_service() = web_service();
    return std::vector<pb::ControlReply>{r};
  };
}

// The first line `args` prints on stderr; requires exit 1 and no request.
std::string refused(std::vector<std::string> args) {
  fake_daemon d;
  INFO(args[2]);
  CHECK(d.run(args) == 1);
  CHECK(d.requests.empty());
  auto text = d.err.str();
  return text.substr(0, text.find('\n'));
}

std::vector<std::string> create_with(const std::string& flag,
                                     const std::string& value) {
  return {"service", "create", "-d", flag, value, "host", "sleep", "1"};
}

} // namespace

TEST_CASE("update policy: no flag leaves the configs unset", "[unit]") {
  pb::ServiceSpec spec;
  REQUIRE(cli::apply_update_policy({}, spec));
  CHECK_FALSE(spec.has_update());
  CHECK_FALSE(spec.has_rollback());
}

TEST_CASE("update policy: one flag starts from docker's defaults", "[unit]") {
  pb::ServiceSpec spec;
  cli::update_policy_flags f;
  f.update.delay = "10s";
  REQUIRE(cli::apply_update_policy(f, spec));
  REQUIRE(spec.has_update());
  CHECK_FALSE(spec.has_rollback());
  const auto& u = spec.update();
  CHECK(u.parallelism() == 1);
  CHECK(u.delay_ns() == 10 * s_ns);
  CHECK(u.failure_action() == pb::UpdateConfig::PAUSE);
  CHECK(u.monitor_ns() == 5 * s_ns);
  CHECK(u.max_failure_ratio() == 0);
  CHECK(u.order() == pb::UpdateConfig::STOP_FIRST);
}

TEST_CASE("update policy: every flag of both families", "[unit]") {
  pb::ServiceSpec spec;
  cli::update_policy_flags f;
  f.update = {"0", "1m30s", "rollback", "0", "0.25", "start-first"};
  f.rollback = {"3", "500ms", "continue", "2s", "1", "start-first"};
  REQUIRE(cli::apply_update_policy(f, spec));
  const auto& u = spec.update();
  CHECK(u.parallelism() == 0);
  CHECK(u.delay_ns() == 90 * s_ns);
  CHECK(u.failure_action() == pb::UpdateConfig::ROLLBACK);
  CHECK(u.monitor_ns() == 0);
  CHECK(u.max_failure_ratio() == 0.25f);
  CHECK(u.order() == pb::UpdateConfig::START_FIRST);
  const auto& r = spec.rollback();
  CHECK(r.parallelism() == 3);
  CHECK(r.delay_ns() == 500'000'000);
  CHECK(r.failure_action() == pb::UpdateConfig::CONTINUE);
  CHECK(r.monitor_ns() == 2 * s_ns);
  CHECK(r.max_failure_ratio() == 1.0f);
  CHECK(r.order() == pb::UpdateConfig::START_FIRST);
}

TEST_CASE("update policy: an update keeps the fields it does not name",
          "[unit]") {
  pb::ServiceSpec spec;
  spec.mutable_update()->set_parallelism(4);
  spec.mutable_update()->set_monitor_ns(0);
  spec.mutable_update()->set_failure_action(pb::UpdateConfig::CONTINUE);
  cli::update_policy_flags f;
  f.update.order = "start-first";
  REQUIRE(cli::apply_update_policy(f, spec));
  CHECK(spec.update().parallelism() == 4);
  CHECK(spec.update().monitor_ns() == 0);
  CHECK(spec.update().failure_action() == pb::UpdateConfig::CONTINUE);
  CHECK(spec.update().order() == pb::UpdateConfig::START_FIRST);
  CHECK_FALSE(spec.has_rollback());
}

TEST_CASE("update policy: a bad value changes nothing", "[unit]") {
  pb::ServiceSpec spec;
  spec.mutable_update()->set_parallelism(4);
  cli::update_policy_flags f;
  f.update.parallelism = "2";
  f.rollback.max_failure_ratio = "2";
  auto st = cli::apply_update_policy(f, spec);
  REQUIRE_FALSE(st);
  CHECK(st.error().message
        == "TaskSpec: update-maxfailureratio cannot be less than 0 or bigger "
           "than 1");
  CHECK(spec.update().parallelism() == 4);
  CHECK_FALSE(spec.has_rollback());
}

TEST_CASE("update policy flags refuse bad values with docker's texts",
          "[unit]") {
  struct bad {
    const char* flag;
    const char* value;
    const char* line;
  };
  const bad cases[] = {
    {"--update-delay", "x",
     R"(invalid argument "x" for "--update-delay" flag: time: invalid duration "x")"},
    {"--rollback-monitor", "5x",
     R"(invalid argument "5x" for "--rollback-monitor" flag: time: unknown unit "x" in duration "5x")"},
    {"--update-parallelism", "-1",
     R"(invalid argument "-1" for "--update-parallelism" flag: strconv.ParseUint: parsing "-1": invalid syntax)"},
    {"--rollback-parallelism", "",
     R"(invalid argument "" for "--rollback-parallelism" flag: strconv.ParseUint: parsing "": invalid syntax)"},
    {"--update-max-failure-ratio", "half",
     R"(invalid argument "half" for "--update-max-failure-ratio" flag: strconv.ParseFloat: parsing "half": invalid syntax)"},
    {"--update-max-failure-ratio", "1e40",
     R"(invalid argument "1e40" for "--update-max-failure-ratio" flag: strconv.ParseFloat: parsing "1e40": value out of range)"},
    {"--update-max-failure-ratio", "1.5",
     "TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than "
     "1"},
    {"--rollback-max-failure-ratio", "-0.1",
     "TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than "
     "1"},
    {"--update-max-failure-ratio", "nan",
     "TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than "
     "1"},
    {"--update-delay", "-1s", "TaskSpec: update-delay cannot be negative"},
    {"--update-monitor", "-1s", "TaskSpec: update-monitor cannot be negative"},
    {"--update-failure-action", "stop",
     "unrecognized update failure action stop"},
    {"--rollback-failure-action", "rollback",
     "unrecognized rollback failure action rollback"},
    {"--update-order", "random", "unrecognized update order random"},
    {"--rollback-order", "first", "unrecognized update order first"},
  };
  for (const auto& c : cases) {
    INFO(c.flag << " " << c.value);
    CHECK(refused(create_with(c.flag, c.value)) == c.line);
    CHECK(refused({"service", "update", c.flag, c.value, "web"}) == c.line);
  }
}

TEST_CASE("service create sends the update and rollback policy", "[unit]") {
  fake_daemon d;
  REQUIRE(d.run({"service", "create", "-d", "--update-parallelism", "2",
                 "--update-failure-action", "rollback", "--update-monitor", "0",
                 "--rollback-order", "start-first", "host", "sleep", "1"})
          == 0);
  REQUIRE(d.requests.size() == 1);
  const auto& spec = d.requests[0].service_create().spec();
  CHECK(spec.update().parallelism() == 2);
  CHECK(spec.update().failure_action() == pb::UpdateConfig::ROLLBACK);
  CHECK(spec.update().monitor_ns() == 0);
  CHECK(spec.rollback().parallelism() == 1);
  CHECK(spec.rollback().order() == pb::UpdateConfig::START_FIRST);
  fake_daemon plain;
  REQUIRE(plain.run({"service", "create", "-d", "host", "sleep", "1"}) == 0);
  CHECK_FALSE(plain.requests[0].service_create().spec().has_update());
  CHECK_FALSE(plain.requests[0].service_create().spec().has_rollback());
}

TEST_CASE("service update takes the policy flags alone", "[unit]") {
  fake_daemon d;
  serve_web(d);
  REQUIRE(d.run({"service", "update", "-d", "--update-order", "start-first",
                 "--rollback-delay", "3s", "web"})
          == 0);
  REQUIRE(d.requests.size() == 2);
  const auto& u = d.requests[1].service_update();
  CHECK_FALSE(u.rollback());
  CHECK(u.spec().update().order() == pb::UpdateConfig::START_FIRST);
  CHECK(u.spec().update().parallelism() == 1);
  CHECK(u.spec().rollback().delay_ns() == 3 * s_ns);
}

TEST_CASE("service update --rollback and service rollback ask for the "
          "previous spec",
          "[unit]") {
  for (auto args : std::vector<std::vector<std::string>>{
         {"service", "update", "--rollback", "-d", "web"},
         {"service", "rollback", "-d", "web"},
         {"service", "rollback", "--detach", "-q", "web"}}) {
    fake_daemon d;
    serve_web(d);
    INFO(args[1]);
    REQUIRE(d.run(args) == 0);
    REQUIRE(d.requests.size() == 2);
    CHECK(d.requests[0].service_inspect().refs(0) == "web");
    const auto& u = d.requests[1].service_update();
    CHECK(u.rollback());
    CHECK(u.ref() == "svcidxxxxxxxxxxxxxxxxxxxx");
    CHECK(u.version() == 42);
    CHECK(d.out.str() == "web\n");
  }
}

TEST_CASE("service update --rollback refuses other flags", "[unit]") {
  for (auto flags :
       std::vector<std::vector<std::string>>{{"--replicas", "3"},
                                             {"--force"},
                                             {"--update-parallelism", "2"},
                                             {"--env-add", "A=1"}}) {
    fake_daemon d;
    serve_web(d);
    std::vector<std::string> args{"service", "update", "--rollback"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("web");
    INFO(flags[0]);
    CHECK(d.run(args) == 1);
    CHECK(d.requests.empty());
    CHECK(d.err.str() == "other flags may not be combined with --rollback\n");
  }
}

TEST_CASE("service rollback takes exactly one service", "[unit]") {
  for (auto args : std::vector<std::vector<std::string>>{
         {"service", "rollback"}, {"service", "rollback", "a", "b"}}) {
    fake_daemon d;
    CHECK(d.run(args) == 1);
    CHECK(d.requests.empty());
    CHECK(d.err.str()
          == "\"actorswarm service rollback\" requires exactly 1 argument.\n"
             "See 'actorswarm service rollback --help'.\n");
  }
  fake_daemon d;
  CHECK(d.run({"service", "rollback", "nope"}) == 1);
  CHECK(d.err.str() == "Error: no such service: nope\n");
}

TEST_CASE("service inspect --pretty shows the update status and policy",
          "[unit]") {
  auto s = web_service();
  constexpr int64_t now_ns = 1'700'000'000'000'000'000;
  CHECK(cli::output::service_pretty(s, {}, now_ns).find("Update")
        == std::string::npos);
  auto& st = *s.mutable_update_status();
  st.set_state(pb::UpdateStatus::COMPLETED);
  st.set_started_at_ns(now_ns - 65 * s_ns);
  st.set_completed_at_ns(now_ns - 3 * s_ns);
  st.set_message("update completed");
  cli::update_policy_flags f;
  f.update = {"2", "10s", "rollback", "", "0.2", "start-first"};
  f.rollback.monitor = "0";
  REQUIRE(cli::apply_update_policy(f, *s.mutable_spec()));
  auto text = cli::output::service_pretty(s, {}, now_ns);
  INFO(text);
  CHECK(text.find("Service Mode:\tReplicated\n Replicas:\t2\n"
                  "UpdateStatus:\n"
                  " State:\t\tcompleted\n"
                  " Started:\tAbout a minute ago\n"
                  " Completed:\t3 seconds ago\n"
                  " Message:\tupdate completed\n"
                  "Placement:\n"
                  "UpdateConfig:\n"
                  " Parallelism:\t2\n"
                  " Delay:\t\t10s\n"
                  " On failure:\trollback\n"
                  " Monitoring Period: 5s\n"
                  " Max failure ratio: 0.2\n"
                  " Update order:      start-first\n"
                  "RollbackConfig:\n"
                  " Parallelism:\t1\n"
                  " On failure:\tpause\n"
                  " Max failure ratio: 0\n"
                  " Rollback order:    stop-first\n"
                  "RestartPolicy:\n")
        != std::string::npos);
  // docker prints Completed for a completed update only.
  st.set_state(pb::UpdateStatus::ROLLBACK_COMPLETED);
  st.set_message("rollback completed");
  auto rolled = cli::output::update_status_pretty(s, now_ns);
  CHECK(rolled
        == "UpdateStatus:\n State:\t\trollback_completed\n"
           " Started:\tAbout a minute ago\n Message:\trollback completed\n");
}
