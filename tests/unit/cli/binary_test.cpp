// The built `actorswarm` binary against a one-shot socket server, compared
// with cli::run in this process. The binary is linked differently from this
// test (cmake/lazy_descriptors.cmake: its protos register their descriptors
// on first use), so its JSON and enum names are checked here.

#include <catch2/catch.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_daemon.hpp"
#include "socket_server.hpp"

extern char** environ;

using namespace actorswarm;
using actorswarm::cli::test::socket_server;

namespace {

struct binary_run {
  int exit_code = -1;
  std::string out;
};

// Runs AS_CLI_BINARY with `args` against a server answering `reply`.
binary_run run_binary(const pb::ControlReply& reply,
                      std::vector<std::string> args) {
  socket_server srv{{reply}};
  args.insert(args.begin(), {AS_CLI_BINARY, "-H", "unix://" + srv.path});
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, pipe_fds[0]);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, AS_CLI_BINARY, &fa, nullptr, argv.data(),
                         environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipe_fds[1]);
  REQUIRE(rc == 0);
  binary_run out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0)
    out.out.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// The same command line through cli::run in this process.
std::string run_here(const pb::ControlReply& reply,
                     std::vector<std::string> args) {
  cli::test::fake_daemon d;
  d.on = [reply](const pb::ControlRequest&) {
    return std::vector<pb::ControlReply>{reply};
  };
  REQUIRE(d.run(std::move(args)) == 0);
  return d.out.str();
}

pb::ControlReply services_reply() {
  pb::ControlReply r;
  auto* e = r.add_services();
  auto* s = e->mutable_service();
  s->set_id("qwertyuiopasdfghjklzxcvbn");
  s->mutable_spec()->set_name("web");
  s->mutable_spec()->set_replicas(3);
  (*s->mutable_spec()->mutable_labels())["team"] = "a";
  s->mutable_spec()->mutable_task()->mutable_container()->set_image("host");
  s->mutable_spec()->mutable_task()->mutable_restart()->set_condition(
    pb::RestartPolicy::ON_FAILURE);
  e->set_running(2);
  e->set_desired(3);
  return r;
}

pb::ControlReply nodes_reply() {
  pb::ControlReply r;
  auto* n = r.add_nodes();
  n->set_id("selfidxxxxxxxxxxxxxxxxxxx");
  n->mutable_description()->set_hostname("vm");
  n->mutable_status()->set_state(pb::NodeStatus::READY);
  n->mutable_spec()->set_availability(pb::NodeSpec::DRAIN);
  return r;
}

} // namespace

TEST_CASE("the actorswarm binary prints what cli::run prints", "[unit]") {
  std::vector<std::pair<pb::ControlReply, std::vector<std::string>>> cases{
    {services_reply(), {"service", "ls"}},
    {services_reply(), {"service", "inspect", "web"}},
    {services_reply(), {"service", "inspect", "--pretty", "web"}},
    {services_reply(), {"service", "ls", "--format", "json"}},
    {nodes_reply(), {"node", "ls"}},
    {nodes_reply(), {"node", "inspect", "--format", "json", "x"}},
  };
  for (const auto& [reply, args] : cases) {
    INFO("actorswarm " << args.at(0) << " " << args.at(1) << " ...");
    auto expected = run_here(reply, args);
    auto got = run_binary(reply, args);
    CHECK(got.exit_code == 0);
    CHECK(got.out == expected);
    CHECK_FALSE(expected.empty());
  }
}
