// Flag values and templates the CLI must refuse with one clear line and
// exit 1, sending nothing (issue #9, the small defects with defect 7).

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli/output/table.hpp"
#include "cli/units.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

namespace {

// The first line `args` prints on stderr; requires exit 1 and no request.
std::string refused(std::vector<std::string> args) {
  fake_daemon d;
  INFO((args.size() > 2 ? args[2] : args.back()));
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

TEST_CASE("sizes past int64 are refused as too large, not as negative",
          "[unit]") {
  const std::string too_large
    = "': too large (at most 9223372036854775807 bytes, 8EiB)";
  // The last one is past a double's range too (strtod: infinity).
  for (const std::string& x :
       {std::string{"100000000000000000000"}, std::string{"8192p"},
        std::string{"9223372036854775808"}, std::string(400, '9')}) {
    auto r = cli::parse_ram_bytes(x);
    INFO(x);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "invalid size: '" + x + too_large);
  }
  CHECK(*cli::parse_ram_bytes("8191p") == 8191LL << 50);
  CHECK(*cli::parse_ram_bytes("9223372036854774784") == 9223372036854774784LL);
  for (const std::string& flag :
       {std::string{"--limit-memory"}, std::string{"--reserve-memory"}})
    CHECK(refused(create_with(flag, "100000000000000000000"))
          == "invalid argument \"100000000000000000000\" for \"" + flag
               + "\" flag: invalid size: '100000000000000000000" + too_large);
  CHECK(refused({"service", "update", "--limit-memory", "100000000000000000000",
                 "web"})
        == "invalid argument \"100000000000000000000\" for \"--limit-memory\" "
           "flag: invalid size: '100000000000000000000"
             + too_large);
}

TEST_CASE("CPU counts that do not fit are refused", "[unit]") {
  CHECK(
    refused(create_with("--limit-cpu", "1e30"))
    == R"(invalid argument "1e30" for "--limit-cpu" flag: failed to parse 1e30 as a rational number)");
  CHECK(
    refused(create_with("--reserve-cpu", "10000000000"))
    == R"(invalid argument "10000000000" for "--reserve-cpu" flag: value is too large)");
  CHECK(*cli::parse_nano_cpus("999999999") == 999'999'999'000'000'000);
}

TEST_CASE("an empty value of a number, duration or size flag is refused, "
          "not taken as the default",
          "[unit]") {
  CHECK(
    refused(create_with("--replicas", ""))
    == R"(invalid argument "" for "--replicas" flag: strconv.ParseUint: parsing "": invalid syntax)");
  // `--replicas=` takes the next word (CLI11), which is refused too.
  CHECK(refused({"service", "create", "-d", "--replicas=", "host", "sleep"})
          .find(R"(for "--replicas" flag: strconv.ParseUint)")
        != std::string::npos);
  struct flag_case {
    const char* flag;
    const char* message;
  };
  const flag_case cases[] = {
    {"--replicas", R"(strconv.ParseUint: parsing "": invalid syntax)"},
    {"--restart-max-attempts",
     R"(strconv.ParseUint: parsing "": invalid syntax)"},
    {"--replicas-max-per-node",
     R"(strconv.ParseUint: parsing "": invalid syntax)"},
    {"--restart-delay", R"(time: invalid duration "")"},
    {"--restart-window", R"(time: invalid duration "")"},
    {"--stop-grace-period", R"(time: invalid duration "")"},
    {"--limit-memory", "invalid size: ''"},
    {"--reserve-memory", "invalid size: ''"},
    {"--limit-cpu", "failed to parse  as a rational number"},
    {"--reserve-cpu", "failed to parse  as a rational number"},
  };
  for (const auto& c : cases) {
    auto want = std::string{"invalid argument \"\" for \""} + c.flag
                + "\" flag: " + c.message;
    CHECK(refused(create_with(c.flag, "")) == want);
    CHECK(refused({"service", "update", c.flag, "", "web"}) == want);
  }
  for (const char* flag : {"--task-history-limit", "--max-replicas-per-service",
                           "--election-tick", "--heartbeat-tick"})
    CHECK(refused({"swarm", "update", flag, ""})
          == std::string{"invalid argument \"\" for \""} + flag
               + "\" flag: strconv.ParseUint: parsing \"\": invalid syntax");
  CHECK(
    refused({"swarm", "update", "--cert-expiry", ""})
    == R"(invalid argument "" for "--cert-expiry" flag: time: invalid duration "")");
  CHECK(
    refused({"swarm", "ca", "--cert-expiry", ""})
    == R"(invalid argument "" for "--cert-expiry" flag: time: invalid duration "")");
  for (const char* flag :
       {"--tick-ms", "--snapshot-interval", "--max-unauthenticated"})
    CHECK(refused({"daemon", flag, ""})
          == std::string{"invalid argument \"\" for \""} + flag
               + "\" flag: strconv.ParseUint: parsing \"\": invalid syntax");
  CHECK(
    refused({"daemon", "--handshake-timeout", ""})
    == R"(invalid argument "" for "--handshake-timeout" flag: time: invalid duration "")");
  // String flags may still be empty.
  fake_daemon d;
  CHECK(d.run({"service", "create", "-d", "--workdir", "", "host", "sleep"})
        == 0);
}

TEST_CASE("swarm update --max-replicas-per-service takes an unsigned number",
          "[unit]") {
  fake_daemon d;
  REQUIRE(d.run({"swarm", "update", "--max-replicas-per-service", "5"}) == 0);
  const auto& u = d.requests.back().swarm_update();
  CHECK(u.set_max_replicas_per_service());
  CHECK(u.max_replicas_per_service() == 5);
  CHECK_FALSE(u.set_task_history_limit());
  CHECK(
    refused({"swarm", "update", "--max-replicas-per-service", "-1"})
    == R"(invalid argument "-1" for "--max-replicas-per-service" flag: strconv.ParseUint: parsing "-1": invalid syntax)");
  CHECK(
    refused({"swarm", "update", "--max-replicas-per-service", "many"})
    == R"(invalid argument "many" for "--max-replicas-per-service" flag: strconv.ParseUint: parsing "many": invalid syntax)");
}

TEST_CASE("info shows the replica limit, the default when unset", "[unit]") {
  fake_daemon d;
  uint64_t limit = 0;
  d.on = [&limit](const pb::ControlRequest&) {
    pb::ControlReply r;
    auto& i = *r.mutable_info();
    i.set_in_swarm(true);
    i.set_is_manager(true);
    i.mutable_cluster_spec()->set_max_replicas_per_service(limit);
    return std::vector<pb::ControlReply>{r};
  };
  REQUIRE(d.run({"info"}) == 0);
  CHECK(d.out.str().find("  Max Replicas Per Service: 100000\n")
        != std::string::npos);
  limit = 5;
  d.out.str("");
  REQUIRE(d.run({"info"}) == 0);
  CHECK(d.out.str().find("  Max Replicas Per Service: 5\n")
        != std::string::npos);
}

TEST_CASE("a template that does not parse fails with Go's line", "[unit]") {
  auto row = nlohmann::json::parse(R"({"ID":"x1","Name":"web"})");
  auto err = [&row](const std::string& tmpl) {
    auto r = cli::output::expand_template(tmpl, row);
    INFO(tmpl);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(err("{{.Foo")
        == "template parsing error: template: :1: unclosed "
           "action");
  CHECK(err("a\n{{.ID}}\n{{.Name")
        == "template parsing error: template: :3: "
           "unclosed action");
  CHECK(err("{{if .ID}}x")
        == "template parsing error: template: :1: unexpected EOF");
  CHECK(err("{{nope .ID}}")
        == "template parsing error: template: :1: function \"nope\" not "
           "defined");
  CHECK(*cli::output::expand_template("{{ .ID }}:{{json .Name}}", row)
        == "x1:\"web\"");
  CHECK(*cli::output::expand_template("no actions }}", row) == "no actions }}");
}

TEST_CASE("a template naming a field a row does not have fails", "[unit]") {
  auto row = nlohmann::json::parse(
    R"({"ID":"x1","Spec":{"Name":"web"},"ManagerStatus":null})");
  auto err = [&row](const std::string& tmpl) {
    auto r = cli::output::expand_template(tmpl, row);
    INFO(tmpl);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(
    err("{{.Foo}}")
    == R"(template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo")");
  CHECK(
    err("id {{ .Spec.Nope}}")
    == R"(template: :1:6: executing "" at <.Spec.Nope>: map has no entry for key "Nope")");
  CHECK(
    err("{{.ID.Short}}")
    == R"(template: :1:2: executing "" at <.ID.Short>: can't evaluate field Short in type string)");
  // A null on the way fails as a nil interface's field in Go.
  CHECK(
    err("{{.ManagerStatus.Leader}}")
    == R"(template: :1:2: executing "" at <.ManagerStatus.Leader>: nil pointer evaluating interface {}.Leader)");
}

TEST_CASE("format templates that fail exit 1 with one line and print "
          "nothing else",
          "[unit]") {
  fake_daemon d;
  d.on = [](const pb::ControlRequest& req) {
    pb::ControlReply r;
    if (req.has_service_list() || req.has_service_inspect()) {
      auto* s = r.add_services()->mutable_service();
      s->set_id("svc1");
      s->mutable_spec()->set_name("web");
    }
    return std::vector<pb::ControlReply>{r};
  };
  CHECK(d.run({"service", "ls", "--format", "{{.Foo"}) == 1);
  CHECK(d.err.str()
        == "template parsing error: template: :1: unclosed action\n");
  CHECK(d.out.str().empty());
  d.err.str("");
  CHECK(d.run({"service", "ls", "--format", "{{.Foo}}"}) == 1);
  CHECK(d.err.str().find("map has no entry for key \"Foo\"")
        != std::string::npos);
  d.err.str("");
  CHECK(d.run({"service", "ls", "--format", "table {{.Name}}\t{{.Foo}}"}) == 1);
  CHECK(d.out.str().empty());
  d.err.str("");
  CHECK(d.run({"service", "inspect", "--format", "{{.Spec.Nope}}", "web"})
        == 1);
  CHECK(d.err.str()
        == "template parsing error: template: :1:2: executing \"\" at "
           "<.Spec.Nope>: map has no entry for key \"Nope\"\n");
  // An empty field of docker's type reads its zero value (the typed view),
  // though the printed JSON leaves it out.
  d.err.str("");
  REQUIRE(d.run({"service", "inspect", "--format",
                 "{{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}}", "web"})
          == 0);
  CHECK(d.out.str() == "0\n");
  CHECK(d.err.str().empty());
}
