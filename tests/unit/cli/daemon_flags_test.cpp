// The daemon's control socket flags (issue #8): --group is passed through to
// actorswarm-daemon; a tcp:// control address is refused, since a remote
// control listener would need TLS with client certificates (dockerd
// --tlsverify), which actorswarm does not have.

#include "cli/daemon.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "cli/app.hpp"
#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

TEST_CASE("daemon --group reaches actorswarm-daemon", "[unit]") {
  fake_daemon d;
  auto ctx = d.make_context();
  cli::daemon_options got;
  ctx.run_daemon = [&](const cli::daemon_options& o) {
    got = o;
    return 5;
  };
  const char* argv[] = {"actorswarm", "daemon", "--group", "wheel"};
  CHECK(cli::run(4, argv, ctx) == 5);
  CHECK(got.group == "wheel");
  auto args = cli::daemon_argv("actorswarm-daemon", got);
  CHECK(std::find(args.begin(), args.end(), "--group=wheel") != args.end());
  std::vector<const char*> child;
  for (const auto& a : args)
    child.push_back(a.c_str());
  got = {};
  CHECK(cli::run_daemon_binary(static_cast<int>(child.size()), child.data(),
                               ctx)
        == 5);
  CHECK(got.group == "wheel");
  // Without --group the daemon picks its default; nothing is passed.
  auto plain = cli::daemon_argv("actorswarm-daemon", cli::daemon_options{});
  for (const auto& a : plain)
    CHECK(a.rfind("--group", 0) != 0);
}

TEST_CASE("daemon --control-addr tcp:// is refused: it needs TLS with "
          "client certificates",
          "[unit]") {
  fake_daemon d;
  auto ctx = d.make_context();
  bool ran = false;
  ctx.run_daemon = [&](const cli::daemon_options&) {
    ran = true;
    return 0;
  };
  const char* argv[] = {"actorswarm", "daemon", "--control-addr",
                        "tcp://0.0.0.0:2376"};
  CHECK(cli::run(4, argv, ctx) == 1);
  CHECK_FALSE(ran);
  CHECK(
    d.err.str().find(
      R"(invalid argument "tcp://0.0.0.0:2376" for "--control-addr" flag: a TCP control listener needs TLS with a client certificate)")
    != std::string::npos);
}

TEST_CASE("daemon --handshake-timeout and --max-unauthenticated reach "
          "actorswarm-daemon",
          "[unit]") {
  fake_daemon d;
  auto ctx = d.make_context();
  cli::daemon_options got;
  ctx.run_daemon = [&](const cli::daemon_options& o) {
    got = o;
    return 5;
  };
  // Defaults: 10 s and 256, as the issue says.
  const char* plain[] = {"actorswarm", "daemon"};
  CHECK(cli::run(2, plain, ctx) == 5);
  CHECK(got.handshake_timeout_ms == 10'000);
  CHECK(got.max_unauthenticated == 256);
  const char* argv[] = {"actorswarm",
                        "daemon",
                        "--handshake-timeout",
                        "1.5s",
                        "--max-unauthenticated",
                        "32"};
  CHECK(cli::run(6, argv, ctx) == 5);
  CHECK(got.handshake_timeout_ms == 1'500);
  CHECK(got.max_unauthenticated == 32);
  // Through the exec: the daemon binary parses what the client passed.
  auto args = cli::daemon_argv("actorswarm-daemon", got);
  CHECK(std::find(args.begin(), args.end(), "--handshake-timeout=1500ms")
        != args.end());
  CHECK(std::find(args.begin(), args.end(), "--max-unauthenticated=32")
        != args.end());
  std::vector<const char*> child;
  for (const auto& a : args)
    child.push_back(a.c_str());
  got = {};
  CHECK(cli::run_daemon_binary(static_cast<int>(child.size()), child.data(),
                               ctx)
        == 5);
  CHECK(got.handshake_timeout_ms == 1'500);
  CHECK(got.max_unauthenticated == 32);
}

TEST_CASE("daemon refuses a bad --handshake-timeout or --max-unauthenticated "
          "with one line",
          "[unit]") {
  struct bad_case {
    const char* flag;
    const char* value;
    const char* text;
  };
  const bad_case cases[] = {
    {"--handshake-timeout", "ten", "must be a duration between 1ms and 1h"},
    {"--handshake-timeout", "0s", "must be a duration between 1ms and 1h"},
    {"--handshake-timeout", "-1s", "must be a duration between 1ms and 1h"},
    {"--handshake-timeout", "2h", "must be a duration between 1ms and 1h"},
    {"--max-unauthenticated", "0", "must be an integer in 1..1000000"},
    {"--max-unauthenticated", "-3", "must be an integer in 1..1000000"},
    {"--max-unauthenticated", "many", "must be an integer in 1..1000000"},
    {"--max-unauthenticated", "2000000", "must be an integer in 1..1000000"},
  };
  for (const auto& c : cases) {
    fake_daemon d;
    auto ctx = d.make_context();
    bool ran = false;
    ctx.run_daemon = [&](const cli::daemon_options&) {
      ran = true;
      return 0;
    };
    // FLAG=VALUE, so a value that starts with '-' stays a value.
    auto arg = std::string{c.flag} + "=" + c.value;
    const char* argv[] = {"actorswarm", "daemon", arg.c_str()};
    INFO(arg << ": " << d.err.str());
    CHECK(cli::run(3, argv, ctx) != 0);
    CHECK_FALSE(ran);
    auto err = d.err.str();
    CHECK(err.find(std::string{"invalid argument \""} + c.value + "\" for \""
                   + c.flag + "\" flag: " + c.text)
          != std::string::npos);
  }
}

namespace {

// `daemon FLAG=BAD` exits non-zero with one line naming the flag and why,
// and starts no daemon.
void check_refused(const std::string& flag, const std::string& bad,
                   const std::string& why) {
  fake_daemon e;
  auto ectx = e.make_context();
  bool ran = false;
  ectx.run_daemon = [&](const cli::daemon_options&) {
    ran = true;
    return 0;
  };
  auto arg = flag + "=" + bad;
  const char* bargv[] = {"actorswarm", "daemon", arg.c_str()};
  INFO(arg << ": " << e.err.str());
  CHECK(cli::run(3, bargv, ectx) != 0);
  CHECK_FALSE(ran);
  CHECK(e.err.str().find("invalid argument \"" + bad + "\" for \"" + flag
                         + "\" flag: " + why)
        != std::string::npos);
}

// Runs `actorswarm daemon` with `flags`, then actorswarm-daemon with the
// argv the CLI hands it; returns the options each run saw.
std::pair<cli::daemon_options, cli::daemon_options>
through(std::vector<const char*> flags) {
  fake_daemon d;
  auto ctx = d.make_context();
  cli::daemon_options got;
  ctx.run_daemon = [&](const cli::daemon_options& o) {
    got = o;
    return 5;
  };
  std::vector<const char*> argv{"actorswarm", "daemon"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  CHECK(cli::run(static_cast<int>(argv.size()), argv.data(), ctx) == 5);
  auto first = got;
  auto args = cli::daemon_argv("actorswarm-daemon", first);
  std::vector<const char*> child;
  for (const auto& a : args)
    child.push_back(a.c_str());
  got = {};
  CHECK(cli::run_daemon_binary(static_cast<int>(child.size()), child.data(),
                               ctx)
        == 5);
  return {first, got};
}

} // namespace

TEST_CASE("daemon --gateway-subnet reaches actorswarm-daemon, and a bad one "
          "is refused with one line",
          "[unit]") {
  auto [cli_side, daemon_side] = through({"--gateway-subnet", "10.200.0.0/16"});
  CHECK(cli_side.gateway_subnet == "10.200.0.0/16");
  CHECK(daemon_side.gateway_subnet == "10.200.0.0/16");
  CHECK(through({"--gateway-subnet=none"}).second.gateway_subnet == "none");
  for (const auto& a : cli::daemon_argv("actorswarm-daemon", {}))
    CHECK(a.rfind("--gateway-subnet", 0) != 0);
  for (auto bad :
       {"172.18.0.0", "172.18.0.1/16", "172.18.0.0/31", "172.18.0.0/4",
        "172.18.0/16", "300.1.0.0/16", "x/16", "172.18..0/16"}) {
    check_refused("--gateway-subnet", bad,
                  "must be an IPv4 subnet with a prefix length of 8 to 30");
  }
}

TEST_CASE("daemon --dns-upstream (repeatable) reaches actorswarm-daemon, and a "
          "bad one is refused with one line",
          "[unit]") {
  auto [cli_side, daemon_side] = through({"--dns-upstream", "10.0.0.2",
                                          "--dns-upstream", "127.0.0.1:5353"});
  std::vector<std::string> want{"10.0.0.2", "127.0.0.1:5353"};
  CHECK(cli_side.dns_upstreams == want);
  CHECK(daemon_side.dns_upstreams == want);
  for (auto bad : {"dns.example", "10.0.0.2:0", "10.0.0.2:70000", "10.0.0",
                   "10.0.0.2:", ":53"}) {
    check_refused("--dns-upstream", bad, "must be IP or IP:PORT");
  }
}
