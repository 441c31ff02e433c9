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
