// Cluster: the daemon's control socket and cluster port flags against a real
// daemon (issue #8). A file that is not a socket is refused and kept; an
// unknown --group and a tcp:// control address are refused with one line;
// `swarm init --listen-addr` opens the cluster port where it says.

#include "cluster/cluster_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& x, const std::string& needle) {
  return x.find(needle) != std::string::npos;
}

std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool tcp_answers(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return ok;
}

} // namespace

TEST_CASE("cluster: a regular file at the control socket path is refused "
          "and kept",
          "[cluster]") {
  cluster_fixture f;
  auto path = f.dir() + "/not-a-socket";
  { std::ofstream{path} << "keep me"; }
  auto r = f.run_daemon_until_exit(f.data_dir(), path, 10s);
  INFO("daemon output: " << r.err);
  CHECK(r.exit_code > 0);
  CHECK(contains(r.err, "is not a socket"));
  CHECK(lines_of(r.err).size() == 1);
  CHECK(read_all(path) == "keep me");
}

TEST_CASE("cluster: an unknown --group is refused with one line", "[cluster]") {
  cluster_fixture f;
  f.set_daemon_flags({"--group", "no-such-group-as-test"});
  auto r = f.run_daemon_until_exit(f.data_dir(), f.socket_path(), 10s);
  INFO("daemon output: " << r.err);
  CHECK(r.exit_code > 0);
  CHECK(lines_of(r.err)
        == std::vector<std::string>{
          "Error: group no-such-group-as-test not found"});
}

TEST_CASE("cluster: a tcp:// control address is refused without TLS",
          "[cluster]") {
  cluster_fixture f;
  auto r = run_process({AS_BINARY, "daemon", "--data-dir", f.data_dir(),
                        "--control-addr", "tcp://127.0.0.1:2376"},
                       10s);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "a TCP control listener needs TLS with a client "
                        "certificate"));
}

TEST_CASE("cluster: swarm init --listen-addr opens the cluster port there "
          "and advertises it",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  auto port = free_port();
  auto listen = "127.0.0.1:" + std::to_string(port);
  REQUIRE(port != f.port());
  auto init = f.cli({"swarm", "init", "--listen-addr", listen});
  INFO("init: " << init.out << init.err);
  REQUIRE(init.exit_code == 0);
  CHECK(eventually([&] { return tcp_answers("127.0.0.1", port); }));
  auto token = f.cli({"swarm", "join-token", "worker"});
  CHECK(contains(token.out, listen));
  // A restarted daemon listens there again.
  REQUIRE(f.stop_daemon(SIGTERM));
  REQUIRE(f.start_daemon());
  CHECK(eventually([&] { return tcp_answers("127.0.0.1", port); }));
}
