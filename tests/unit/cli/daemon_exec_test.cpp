#include "cli/daemon.hpp"

#include <catch2/catch.hpp>

#include "fake_daemon.hpp"

using namespace actorswarm;
using actorswarm::cli::test::fake_daemon;

TEST_CASE("the daemon binary is found next to the client", "[unit]") {
  CHECK(cli::daemon_path("/usr/local/bin/actorswarm")
        == "/usr/local/bin/actorswarm-daemon");
  CHECK(cli::daemon_path("actorswarm") == "./actorswarm-daemon");
}

TEST_CASE("exec passes every daemon option as --flag=value", "[unit]") {
  cli::daemon_options o;
  o.data_dir = "-odd dir";
  o.listen_addr = "127.0.0.2:4000";
  o.control_path = "/tmp/x/ctl.sock";
  o.log_level = "debug";
  o.tick_ms = 50;
  auto argv = cli::daemon_argv("/b/actorswarm-daemon", o);
  CHECK(argv
        == std::vector<std::string>{"/b/actorswarm-daemon",
                                    "--data-dir=-odd dir",
                                    "--listen-addr=127.0.0.2:4000",
                                    "--control-addr=unix:///tmp/x/ctl.sock",
                                    "--log-level=debug", "--tick-ms=50"});
}

TEST_CASE("actorswarm-daemon parses what exec passes", "[unit]") {
  fake_daemon d;
  auto ctx = d.make_context();
  cli::daemon_options want;
  want.data_dir = "-odd dir";
  want.listen_addr = "127.0.0.2:4000";
  want.control_path = "/tmp/x/ctl.sock";
  want.log_level = "warn";
  want.tick_ms = 25;
  cli::daemon_options got;
  ctx.run_daemon = [&](const cli::daemon_options& o) {
    got = o;
    return 3;
  };
  auto args = cli::daemon_argv("actorswarm-daemon", want);
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  REQUIRE(cli::run_daemon_binary(static_cast<int>(argv.size()), argv.data(),
                                 ctx)
          == 3);
  CHECK(got.data_dir == want.data_dir);
  CHECK(got.listen_addr == want.listen_addr);
  CHECK(got.control_path == want.control_path);
  CHECK(got.log_level == want.log_level);
  CHECK(got.tick_ms == want.tick_ms);
  const char* bad[] = {"actorswarm-daemon", "--tick-ms", "0"};
  CHECK(cli::run_daemon_binary(3, bad, ctx) == 1);
  CHECK(d.err.str().find(R"(invalid argument "0" for "--tick-ms" flag)")
        != std::string::npos);
  const char* stray[] = {"actorswarm-daemon", "service", "ls"};
  CHECK(cli::run_daemon_binary(3, stray, ctx) == 1);
  CHECK(d.requests.empty());
}
