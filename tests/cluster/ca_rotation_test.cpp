// Cluster: `swarm ca --rotate` with two managers and a worker running a
// service (issue #8, Tests, Cluster: CA rotation with no task restarted):
// the rotation finishes, every node's certificate chains to the new root
// alone, no task process restarted, and writes go on. `swarm update
// --cert-expiry` reissues certificates with the shorter validity.

#include <chrono>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "cluster/manager_set.hpp"
#include "net/cert_authority.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string node_cert(const cluster_fixture& f) {
  return read_text(f.data_dir() + "/certificates/swarm-node.crt");
}

std::vector<std::vector<pid_t>> all_pids(manager_set& m) {
  std::vector<std::vector<pid_t>> out;
  for (size_t i = 0; i < m.size(); ++i)
    out.push_back(m[i].task_pids());
  return out;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

TEST_CASE("cluster: swarm ca --rotate reissues every certificate under a new "
          "root without restarting a task, and --cert-expiry shortens them",
          "[cluster]") {
  manager_set m{2, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  REQUIRE(m.wait_stable_leader() >= 0);
  REQUIRE(create_service(m, 0, "web", 3).exit_code == 0);
  REQUIRE(m.wait_total_tasks(3) == 3);
  auto before = all_pids(m);
  auto old_root = m[0].cli({"swarm", "ca"});
  REQUIRE(old_root.exit_code == 0);
  auto old_token = m.manager_token(0);

  auto r = run_process({AS_BINARY, "-H", "unix://" + m[0].socket_path(),
                        "swarm", "ca", "--rotate", "-q"},
                       120s);
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  auto new_root = m[1].cli({"swarm", "ca"}).out;
  CHECK(new_root == r.out);
  CHECK(new_root != old_root.out);
  for (size_t i = 0; i < m.size(); ++i) {
    INFO("node " << i);
    auto cert = node_cert(m[i]);
    auto ok = net::verify_node_cert(cert, new_root);
    INFO((ok ? "" : ok.error().message));
    CHECK(ok);
    CHECK_FALSE(net::verify_node_cert(cert, old_root.out));
    // Every node trusts the new root alone once the rotation is done.
    CHECK(eventually(
      [&] {
        return read_text(m[i].data_dir() + "/certificates/swarm-root-ca.crt")
               == new_root;
      },
      10s));
  }
  // No task restarted; writes still work; the token pins the new root.
  CHECK(all_pids(m) == before);
  CHECK(scale_eventually(m, 1, "web", 4, 10s).exit_code == 0);
  CHECK(m.wait_total_tasks(4) == 4);
  CHECK(m.manager_token(0) != old_token);

  // --cert-expiry: certificates are reissued valid for about a day (whole
  // days) instead of 90.
  auto u = m[0].cli({"swarm", "update", "--cert-expiry", "2h"});
  INFO(describe(u));
  REQUIRE(u.exit_code == 0);
  for (size_t i = 0; i < m.size(); ++i) {
    INFO("node " << i);
    CHECK(eventually(
      [&] {
        auto until = net::not_after(node_cert(m[i]));
        return until && *until - now_s() <= 86400 + 60;
      },
      30s));
  }
  auto short_ = m[0].cli({"swarm", "update", "--cert-expiry", "30m"});
  CHECK(short_.exit_code != 0);
  CHECK(contains(short_.err, "minimum certificate expiry time is 1h0m0s"));
}
