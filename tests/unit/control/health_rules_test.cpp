// The control rules' check of a service's health check (SwarmKit's
// controlapi validateHealthCheck, in its words).

#include "actors/control/service_rules.hpp"

#include <catch2/catch.hpp>

#include "unit/control/view_builder.hpp"

using namespace actorswarm;
using namespace actorswarm::control;
using actorswarm::test::make_spec;

namespace {

constexpr int64_t ms_ns = 1'000'000;

pb::HealthConfig& health(pb::ServiceSpec& s) {
  return *s.mutable_task()->mutable_container()->mutable_healthcheck();
}

pb::ServiceSpec checked_spec() {
  auto s = make_spec("web", 1);
  health(s).add_test("CMD-SHELL");
  health(s).add_test("true");
  return s;
}

} // namespace

TEST_CASE("control rules: a health check's durations have docker's 1ms floor",
          "[unit]") {
  struct bad {
    const char* what;
    void (pb::HealthConfig::*set)(int64_t);
    int64_t ns;
    const char* message;
  };
  for (auto& x : std::vector<bad>{
         {"interval", &pb::HealthConfig::set_interval_ns, ms_ns / 2,
          "ContainerSpec: Interval in HealthConfig cannot be less than 1ms"},
         {"negative interval", &pb::HealthConfig::set_interval_ns, -ms_ns,
          "ContainerSpec: Interval in HealthConfig cannot be less than 1ms"},
         {"timeout", &pb::HealthConfig::set_timeout_ns, 1,
          "ContainerSpec: Timeout in HealthConfig cannot be less than 1ms"},
         {"start period", &pb::HealthConfig::set_start_period_ns, -1,
          "ContainerSpec: StartPeriod in HealthConfig cannot be less than "
          "1ms"},
       }) {
    INFO(x.what);
    auto s = checked_spec();
    (health(s).*x.set)(x.ns);
    auto r = validate_service_spec(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_spec);
    CHECK(r.error().message == x.message);
  }
}

TEST_CASE("control rules: zero durations (docker's defaults), 1ms and NONE "
          "are accepted",
          "[unit]") {
  auto s = checked_spec();
  CHECK(validate_service_spec(s));
  health(s).set_interval_ns(ms_ns);
  health(s).set_timeout_ns(ms_ns);
  health(s).set_start_period_ns(ms_ns);
  health(s).set_retries(1000);
  CHECK(validate_service_spec(s));
  auto none = make_spec("web", 1);
  health(none).add_test("NONE");
  CHECK(validate_service_spec(none));
}
