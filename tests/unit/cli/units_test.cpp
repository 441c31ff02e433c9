#include <catch2/catch.hpp>

#include "cli/units.hpp"

using namespace actorswarm;
using namespace actorswarm::cli;

namespace {

int64_t dur(const std::string& x) {
  auto r = parse_duration_ns(x);
  INFO(x << ": " << (r ? "" : r.error().message));
  REQUIRE(r);
  return *r;
}

std::string dur_err(const std::string& x) {
  auto r = parse_duration_ns(x);
  REQUIRE_FALSE(r);
  return r.error().message;
}

} // namespace

TEST_CASE("Go durations parse like time.ParseDuration", "[unit]") {
  CHECK(dur("0") == 0);
  CHECK(dur("300ms") == 300'000'000);
  CHECK(dur("1.5s") == 1'500'000'000);
  CHECK(dur("1m30s") == 90'000'000'000);
  CHECK(dur("2h") == 7'200'000'000'000);
  CHECK(dur("-5s") == -5'000'000'000);
  CHECK(dur("+5s") == 5'000'000'000);
  CHECK(dur(".5s") == 500'000'000);
  CHECK(dur("10us") == 10'000);
  CHECK(dur("10\xC2\xB5s") == 10'000);
  CHECK(dur("1h1m1s1ms1us1ns") == 3'661'001'001'001);
}

TEST_CASE("bad Go durations give Go's messages", "[unit]") {
  CHECK(dur_err("5x") == R"(time: unknown unit "x" in duration "5x")");
  CHECK(dur_err("5") == R"(time: missing unit in duration "5")");
  CHECK(dur_err("") == R"(time: invalid duration "")");
  CHECK(dur_err("-") == R"(time: invalid duration "-")");
  CHECK(dur_err(".s") == R"(time: invalid duration ".s")");
  CHECK(dur_err("s") == R"(time: invalid duration "s")");
  CHECK(dur_err("1s2") == R"(time: missing unit in duration "1s2")");
  CHECK(dur_err("99999999999h") == R"(time: invalid duration "99999999999h")");
  CHECK(
    flag_error("--restart-delay", "5x", dur_err("5x"))
    == R"(invalid argument "5x" for "--restart-delay" flag: time: unknown unit "x" in duration "5x")");
}

TEST_CASE("sizes parse like go-units RAMInBytes", "[unit]") {
  auto size = [](const std::string& x) {
    auto r = parse_ram_bytes(x);
    INFO(x);
    REQUIRE(r);
    return *r;
  };
  CHECK(size("512m") == 512LL * 1024 * 1024);
  CHECK(size("1g") == 1024LL * 1024 * 1024);
  CHECK(size("1G") == 1024LL * 1024 * 1024);
  CHECK(size("100k") == 100 * 1024);
  CHECK(size("100kb") == 100 * 1024);
  CHECK(size("1.5GiB") == 1536LL * 1024 * 1024);
  CHECK(size("4096") == 4096);
  CHECK(size("10b") == 10);
  CHECK(size("32 MB") == 32LL * 1024 * 1024);
  auto err = [](const std::string& x) {
    auto r = parse_ram_bytes(x);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(err("12Q") == "invalid suffix: 'q'");
  CHECK(err("abc") == "invalid size: 'abc'");
  CHECK(err("-1") == "invalid size: '-1'");
  CHECK(err("1kx") == "invalid suffix: 'kx'");
  CHECK(err("1kibb") == "invalid suffix: 'kibb'");
  CHECK(err("1..5m")
        == R"(strconv.ParseFloat: parsing "1..5": invalid syntax)");
}

TEST_CASE("CPUs parse as decimal nano CPUs", "[unit]") {
  CHECK(*parse_nano_cpus("0.5") == 500'000'000);
  CHECK(*parse_nano_cpus("2") == 2'000'000'000);
  CHECK(*parse_nano_cpus(".25") == 250'000'000);
  CHECK(*parse_nano_cpus("1.000000001") == 1'000'000'001);
  CHECK(*parse_nano_cpus("1.50000000000") == 1'500'000'000);
  CHECK(parse_nano_cpus("abc").error().message
        == "failed to parse abc as a rational number");
  CHECK(parse_nano_cpus("-1").error().message
        == "failed to parse -1 as a rational number");
  CHECK(parse_nano_cpus("0.0000000001").error().message
        == "value is too precise");
}

TEST_CASE("unsigned integers use strconv.ParseUint wording", "[unit]") {
  CHECK(*parse_uint("3") == 3);
  CHECK(*parse_uint("0") == 0);
  CHECK(parse_uint("-1").error().message
        == R"(strconv.ParseUint: parsing "-1": invalid syntax)");
  CHECK_FALSE(parse_uint("3x"));
  CHECK_FALSE(parse_uint(""));
}

TEST_CASE("human_duration matches go-units HumanDuration", "[unit]") {
  constexpr int64_t s = 1'000'000'000;
  CHECK(human_duration(0) == "Less than a second");
  CHECK(human_duration(-5 * s) == "Less than a second");
  CHECK(human_duration(999'999'999) == "Less than a second");
  CHECK(human_duration(s) == "1 second");
  CHECK(human_duration(3 * s + 500'000'000) == "3 seconds");
  CHECK(human_duration(59 * s) == "59 seconds");
  CHECK(human_duration(60 * s) == "About a minute");
  CHECK(human_duration(119 * s) == "About a minute");
  CHECK(human_duration(5 * 60 * s) == "5 minutes");
  CHECK(human_duration(59 * 60 * s) == "59 minutes");
  CHECK(human_duration(60 * 60 * s) == "About an hour");
  CHECK(human_duration(89 * 60 * s) == "About an hour");
  CHECK(human_duration(90 * 60 * s) == "2 hours");
  CHECK(human_duration(47 * 3600 * s) == "47 hours");
  CHECK(human_duration(48 * 3600 * s) == "2 days");
  CHECK(human_duration(14 * 24 * 3600 * s) == "2 weeks");
  CHECK(human_duration(60 * 24 * 3600 * s) == "2 months");
  CHECK(human_duration(2 * 365 * 24 * 3600 * s) == "2 years");
}

TEST_CASE("durations, sizes and CPUs format like Go and go-units", "[unit]") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(5'000'000'000) == "5s");
  CHECK(format_duration(90'000'000'000) == "1m30s");
  CHECK(format_duration(7'200'000'000'000) == "2h0m0s");
  CHECK(format_duration(1'500'000'000) == "1.5s");
  CHECK(format_duration(300'000'000) == "300ms");
  CHECK(format_duration(1'500) == "1.5\xC2\xB5s");
  CHECK(format_duration(-5'000'000'000) == "-5s");
  CHECK(format_bytes(512LL * 1024 * 1024) == "512MiB");
  CHECK(format_bytes(1536LL * 1024 * 1024) == "1.5GiB");
  CHECK(format_bytes(100) == "100B");
  CHECK(format_nano_cpus(500'000'000) == "0.5");
  CHECK(format_nano_cpus(2'000'000'000) == "2");
}
