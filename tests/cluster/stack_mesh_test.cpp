// Cluster: the issue's stack deployment as written (a Swarm HA walkthrough's
// compose file with `image: host`), on three hosts that are network
// namespaces: `stack deploy` prints docker's lines, port 7080 answers on
// every host with the bind-mounted directory's content, and `stack rm`
// leaves no service, network, namespace or rule behind.
//
// Needs root (namespaces, mounts): it skips (WARN) otherwise.

#include "cluster/netns_cluster.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

using namespace actorswarm::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The compose file of the issue, byte for byte.
const char* walkthrough = R"(version: '3'
services:
  web:
    image: host
    command: python3 -m http.server 80 --directory /srv
    deploy:
      replicas: 3
      resources:
        limits:
          cpus: "0.5"
          memory: 256M
      restart_policy:
        condition: on-failure
    ports:
      - "7080:80"
    volumes:
      - /var/www/html:/srv
)";

// /var/www/html as the file names it: made (and removed afterwards) when
// this machine has none, with a page of the test's own; left as it is when
// it exists.
struct www_dir {
  std::string page;
  bool made = false;
  www_dir() {
    std::error_code ec;
    if (fs::exists("/var/www/html", ec))
      return;
    made = fs::create_directories("/var/www/html", ec);
    page = "actorswarm-" + std::to_string(::getpid()) + ".txt";
    std::ofstream{"/var/www/html/" + page} << "served by the stack\n";
  }
  ~www_dir() {
    std::error_code ec;
    if (made)
      fs::remove_all("/var/www/html", ec);
  }
};

} // namespace

TEST_CASE("cluster: the issue's compose file deploys as written, answers on "
          "port 7080 of every node, and stack rm removes it all",
          "[cluster][netns][stack]") {
  if (auto why = netns_unsupported(); !why.empty()) {
    WARN("skipped: network namespace tests need root (" << why << ")");
    return;
  }
  std::error_code ec;
  if (!fs::is_directory("/srv", ec)) {
    WARN("skipped: this machine has no /srv (the compose file's target)");
    return;
  }
  www_dir www;
  netns_hosts h{3};
  netns_swarm s{h};
  auto why = s.form(1);
  INFO(why);
  REQUIRE(why.empty());
  auto file = h.dir() + "/docker-swarm.yml";
  std::ofstream{file} << walkthrough;
  auto r = s[0].cli({"stack", "deploy", "-c", file, "myservice"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out
        == "Creating network myservice_default\n"
           "Creating service myservice_web\n");
  // check: 7080 answers on every host, from outside (the switch)
  auto path = www.page.empty() ? "/" : "/" + www.page;
  for (size_t i = 0; i < h.size(); ++i) {
    http_reply reply;
    auto answers = [&] {
      reply = http_get(h.switch_ns(), h.addr(i), 7080, path, 1s);
      return reply.status == 200;
    };
    auto ok = eventually(answers, 60s, 100ms);
    INFO("host " << i << ": " << reply.error << "\n"
                 << s[0].cli({"stack", "ps", "--no-trunc", "myservice"}).out);
    CHECK(ok);
    if (!www.page.empty())
      CHECK(reply.body.find("served by the stack") != std::string::npos);
  }
  auto ls = s[0].cli({"stack", "ls"});
  CHECK(ls.out.find("myservice") != std::string::npos);
  // stop: the stack goes, and with it every service, network and rule
  r = s[0].cli({"stack", "rm", "myservice"});
  CHECK(r.exit_code == 0);
  CHECK(r.out
        == "Removing service myservice_web\n"
           "Removing network myservice_default\n");
  auto gone = [&] {
    for (size_t i = 0; i < s.size(); ++i)
      if (!s[i].task_pids().empty())
        return false;
    return s[0].cli({"service", "ls", "-q"}).out.empty();
  };
  CHECK(eventually(gone, 30s, 50ms));
  CHECK(s[0].cli({"stack", "ls"}).out.find("myservice") == std::string::npos);
}
