// `service logs` output and flag values as docker's (cli/logs_format.hpp):
// the task prefix and its padding, --raw, --no-task-ids, --no-trunc, -t,
// --tail and the forms of --since.

#include "cli/logs_format.hpp"

#include <catch2/catch.hpp>

using namespace actorswarm;
using cli::log_format;

namespace {

constexpr int64_t sec = 1'000'000'000;

pb::LogLine line(const std::string& name = "web.1") {
  pb::LogLine l;
  l.set_task_id("abc123def456ghi789jkl012m");
  l.set_task_name(name);
  l.set_node_name("node1");
  l.set_timestamp_ns(1'357'133'017 * sec + 5);
  l.set_text("hello");
  return l;
}

} // namespace

TEST_CASE("logs format: docker's prefix, ids and padding", "[unit]") {
  log_format f;
  CHECK(cli::log_line_text(line(), f) == "web.1.abc123def456@node1    | hello");
  f.task_ids = false;
  CHECK(cli::log_line_text(line(), f) == "web.1@node1    | hello");
  f.task_ids = true;
  f.trunc = false;
  CHECK(cli::log_line_text(line(), f)
        == "web.1.abc123def456ghi789jkl012m@node1    | hello");
  f.trunc = true;
  f.slot_width = 2;
  CHECK(cli::log_line_text(line(), f)
        == "web.1.abc123def456@node1     | hello");
  CHECK(cli::log_line_text(line("web.10"), f)
        == "web.10.abc123def456@node1    | hello");
  f.timestamps = true;
  CHECK(cli::log_line_text(line("web.10"), f)
        == "2013-01-02T13:23:37.000000005Z web.10.abc123def456@node1    | "
           "hello");
  f.raw = true;
  CHECK(cli::log_line_text(line(), f)
        == "2013-01-02T13:23:37.000000005Z hello");
  f.timestamps = false;
  CHECK(cli::log_line_text(line(), f) == "hello");
}

TEST_CASE("logs format: --tail takes all or a count", "[unit]") {
  CHECK(*cli::parse_tail("all") == -1);
  CHECK(*cli::parse_tail("") == -1);
  CHECK(*cli::parse_tail("10") == 10);
  CHECK(*cli::parse_tail("0") == 0);
  CHECK(cli::parse_tail("-1").error().message
        == "negative tail values not supported");
  CHECK(cli::parse_tail("ten").error().message
        == "tail value must be a positive integer or \"all\"");
}

TEST_CASE("logs format: --since in docker's forms", "[unit]") {
  int64_t now = 1'700'000'000 * sec + 123;
  CHECK(*cli::parse_since_ns("42m", now) == (1'700'000'000 - 42 * 60) * sec);
  CHECK(*cli::parse_since_ns("1h30m", now) == (1'700'000'000 - 90 * 60) * sec);
  CHECK(*cli::parse_since_ns("2013-01-02T13:23:37Z", now)
        == 1'357'133'017 * sec);
  CHECK(*cli::parse_since_ns("2013-01-02T13:23:37.5+01:00", now)
        == (1'357'133'017 - 3600) * sec + 500'000'000);
  CHECK(*cli::parse_since_ns("2013-01-02Z", now) == 1'357'084'800 * sec);
  CHECK(*cli::parse_since_ns("2013-01-02T13Z", now)
        == (1'357'084'800 + 13 * 3600) * sec);
  CHECK(*cli::parse_since_ns("1136073600.000000001", now)
        == 1'136'073'600 * sec + 1);
  CHECK(*cli::parse_since_ns("1136073600", now) == 1'136'073'600 * sec);
  CHECK(cli::parse_since_ns("xyz", now).error().message
        == "invalid value for \"since\": failed to parse value as time or "
           "duration: \"xyz\"");
  CHECK(cli::parse_since_ns("2013-13-01", now)
          .error()
          .message.rfind(
            "invalid value for \"since\": parsing time \"2013-13-01\"", 0)
        == 0);
}
