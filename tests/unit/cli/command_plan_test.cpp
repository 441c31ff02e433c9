#include "cli/commands/command_plan.hpp"

#include <catch2/catch.hpp>

#include "fake_daemon.hpp"

using namespace actorswarm;
using cli::command_plan;

namespace {

command_plan plan_for(std::vector<const char*> args) {
  args.insert(args.begin(), "actorswarm");
  return command_plan{static_cast<int>(args.size()), args.data()};
}

// What one invocation did: exit code, streams, requests sent.
struct outcome {
  int exit_code;
  std::string out;
  std::string err;
  std::vector<std::string> requests;
};

outcome run_with(const std::vector<std::string>& args, bool build_all) {
  cli::test::fake_daemon d;
  std::vector<std::string> full{"actorswarm"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const auto& a : full)
    argv.push_back(a.c_str());
  auto argc = static_cast<int>(argv.size());
  auto ctx = d.make_context();
  auto plan = build_all ? command_plan{} : command_plan{argc, argv.data()};
  outcome o{
    cli::run(argc, argv.data(), ctx, plan), d.out.str(), d.err.str(), {}};
  for (const auto& r : d.requests)
    o.requests.push_back(r.SerializeAsString());
  return o;
}

} // namespace

TEST_CASE("command_plan builds what argv names, everything for help",
          "[unit]") {
  CHECK(command_plan{}.all());
  CHECK(command_plan{}.builds("anything"));
  auto ls = plan_for({"-H", "unix:///x", "service", "ls"});
  CHECK_FALSE(ls.all());
  CHECK(ls.builds("service"));
  CHECK(ls.builds("ls,list"));
  CHECK_FALSE(ls.builds("node"));
  CHECK_FALSE(ls.builds("create"));
  CHECK(plan_for({"service", "list"}).builds("ls,list"));
  CHECK_FALSE(plan_for({"service", "--name=ls"}).builds("ls"));
  for (auto help : {"-h", "--help", "--help-all", "-qh"})
    CHECK(plan_for({"service", "ls", help}).all());
  CHECK_FALSE(plan_for({"service", "ls", "-q"}).all());
  CHECK(cli::command_names("rm,remove")
        == std::vector<std::string>{"rm", "remove"});
  CHECK(cli::command_names("info") == std::vector<std::string>{"info"});
}

TEST_CASE("building only the named commands changes no output", "[unit]") {
  // Each line: what a user may type. The plan for argv must behave exactly
  // as the whole command tree: same exit code, output, errors, requests.
  std::vector<std::vector<std::string>> cases{
    {},
    {"--help"},
    {"-h"},
    {"--version"},
    {"bogus"},
    {"-H", "service"},
    {"-H", "unix:///tmp/x.sock", "service", "ls"},
    {"service"},
    {"service", "--help"},
    {"service", "bogus"},
    {"service", "ls"},
    {"service", "list", "-q", "--filter", "name=w"},
    {"service", "ls", "--bogus"},
    {"service", "ls", "extra"},
    {"service", "ls", "--format"},
    {"service", "ls", "rm", "web"},
    {"service", "ps"},
    {"service", "ps", "web", "--filter", "desired-state=running"},
    {"service", "inspect", "--pretty", "web"},
    {"service", "scale", "web=x"},
    {"service", "scale", "-d", "web=2"},
    {"service", "rm", "web", "api"},
    {"service", "remove", "web"},
    {"service", "logs", "--tail", "x", "web"},
    {"service", "create", "-d", "--name", "ls", "host", "sleep", "1"},
    {"service", "create", "-d", "host", "ls", "-h"},
    {"service", "create", "--replicas", "x", "host", "true"},
    {"service", "update", "--replicas", "x", "web"},
    {"node"},
    {"node", "ls"},
    {"node", "ls", "--format", "json"},
    {"node", "update", "--availability", "bogus", "self"},
    {"node", "promote"},
    {"node", "rm", "-f", "n1"},
    {"swarm"},
    {"swarm", "init", "--listen-addr", "127.0.0.1:1"},
    {"swarm", "join-token", "worker"},
    {"swarm", "leave", "-f"},
    {"swarm", "update", "--election-tick", "x"},
    {"info"},
    {"info", "extra"},
    {"daemon", "--tick-ms", "x"},
    {"daemon", "--bogus"},
  };
  for (const auto& args : cases) {
    std::string line;
    for (const auto& a : args)
      line += a + " ";
    INFO("actorswarm " << line);
    auto lazy = run_with(args, false);
    auto full = run_with(args, true);
    CHECK(lazy.exit_code == full.exit_code);
    CHECK(lazy.out == full.out);
    CHECK(lazy.err == full.err);
    CHECK(lazy.requests == full.requests);
  }
}
